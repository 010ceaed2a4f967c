// Package artifact keeps content-addressed blobs (dataset files, model bundles,
// reports) in a gocloud.dev/blob bucket: a local directory by default, S3 or any
// S3-compatible store with an s3:// URL, memory in tests.
//
// A blob's key is "sha256/ab/abcdef…", the hex sha256 of its bytes. Writes are
// atomic (the local driver writes a temporary file and renames it; object stores
// commit on close), the same bytes are stored once, and every read verifies the
// hash so corruption is reported instead of returned.
package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
	"gocloud.dev/gcerrors"

	"mlw.dev/internal/mlw"
)

// Store is a content-addressed blob store.
type Store struct {
	bucket *blob.Bucket
	where  string // for messages
}

// Open opens the blob store at loc: a directory path, a file:// URL, mem:// (a
// fresh in-memory store) or an s3://bucket/prefix URL (credentials and region
// come from the usual AWS environment; ?endpoint=…&use_path_style=true for
// S3-compatible servers). A directory is created when missing.
func Open(ctx context.Context, loc string) (*Store, error) {
	var (
		b   *blob.Bucket
		err error
	)
	switch {
	case loc == "":
		return nil, mlw.Errorf(mlw.EINVALID, "artifact store location is empty")
	case strings.HasPrefix(loc, "mem://"):
		b = memblob.OpenBucket(nil)
	case strings.HasPrefix(loc, "s3://"):
		u, perr := url.Parse(loc)
		if perr != nil {
			return nil, mlw.Errorf(mlw.EINVALID, "artifact store %q: %v", loc, perr)
		}
		prefix := strings.Trim(u.Path, "/")
		u.Path = ""
		b, err = blob.OpenBucket(ctx, u.String())
		if err == nil && prefix != "" {
			b = blob.PrefixedBucket(b, prefix+"/")
		}
	default:
		dir := strings.TrimPrefix(loc, "file://")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, mlw.Errorf(mlw.EUNAVAILABLE, "artifact store %s: %v", dir, err)
		}
		b, err = fileblob.OpenBucket(dir, &fileblob.Options{
			NoTempDir: true, // temp file beside the target: rename never crosses mounts
			Metadata:  fileblob.MetadataDontWrite,
		})
	}
	if err != nil {
		return nil, mlw.Errorf(mlw.EUNAVAILABLE, "artifact store %s: %v", loc, err)
	}
	return &Store{bucket: b, where: loc}, nil
}

// Close releases the store. Calling it twice is safe.
func (s *Store) Close() error {
	if s == nil || s.bucket == nil {
		return nil
	}
	err := s.bucket.Close()
	s.bucket = nil
	return err
}

// Key returns the key of content with the given hex sha256.
func Key(sum string) string {
	return "sha256/" + sum[:2] + "/" + sum
}

// SumOf returns the hex sha256 of b.
func SumOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ParseKey returns the hex sha256 a key names, or EINVALID.
func ParseKey(key string) (string, error) {
	rest, ok := strings.CutPrefix(key, "sha256/")
	sum := filepath.Base(rest)
	if !ok || len(sum) != 64 || rest != sum[:2]+"/"+sum {
		return "", mlw.Errorf(mlw.EINVALID, "artifact key %q is not a sha256 content address", key)
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return "", mlw.Errorf(mlw.EINVALID, "artifact key %q is not a sha256 content address", key)
	}
	return sum, nil
}

// Info describes a stored blob.
type Info struct {
	Key  string `json:"key"`
	Sum  string `json:"sha256"`
	Size int64  `json:"size"`
}

// PutBytes stores b and returns its key. Storing bytes already present is a no-op.
func (s *Store) PutBytes(ctx context.Context, b []byte) (Info, error) {
	sum := SumOf(b)
	info := Info{Key: Key(sum), Sum: sum, Size: int64(len(b))}
	return info, s.write(ctx, info.Key, bytes.NewReader(b))
}

// PutFile stores the file at path, streaming it, and returns its key.
func (s *Store) PutFile(ctx context.Context, path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, mlw.Errorf(mlw.EINVALID, "open %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Info{}, mlw.Errorf(mlw.EINVALID, "read %s: %v", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	info := Info{Key: Key(sum), Sum: sum, Size: n}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Info{}, fmt.Errorf("rewind %s: %w", path, err)
	}
	// The file may change between hashing and copying; the writer re-hashes.
	return info, s.write(ctx, info.Key, &hashCheck{r: f, h: sha256.New(), want: sum, what: path})
}

func (s *Store) write(ctx context.Context, key string, r io.Reader) error {
	if ok, err := s.bucket.Exists(ctx, key); err != nil {
		return s.wrap(err, key)
	} else if ok {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return s.wrap(err, key)
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel() // a cancelled context aborts the write: nothing is committed
		_ = w.Close()
		var me *mlw.Error
		if errors.As(err, &me) {
			return err
		}
		return s.wrap(err, key)
	}
	return s.wrap(w.Close(), key)
}

// Open returns a reader of the blob with the given key. Reading it to the end
// verifies the hash: the final Read returns an EINTERNAL error naming the key when
// the stored bytes were altered. A missing blob gives ENOTFOUND.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	sum, err := ParseKey(key)
	if err != nil {
		return nil, err
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.wrap(err, key)
	}
	return &verifyingReader{ReadCloser: r, hashCheck: hashCheck{r: r, h: sha256.New(), want: sum, what: "artifact " + key}}, nil
}

// Get reads a whole blob and verifies it.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// GetToFile copies a verified blob to path through a temporary file and a rename,
// so path never holds partial or corrupt content.
func (s *Store) GetToFile(ctx context.Context, key, path string) error {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	return WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.Copy(w, rc)
		return err
	})
}

// Exists reports whether a blob is stored.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := s.bucket.Exists(ctx, key)
	return ok, s.wrap(err, key)
}

// Delete removes a blob; a missing blob is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return s.wrap(err, key)
}

func (s *Store) wrap(err error, key string) error {
	if err == nil {
		return nil
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return mlw.Errorf(mlw.ENOTFOUND, "artifact %s not found in %s", key, s.where)
	case gcerrors.PermissionDenied:
		return mlw.Errorf(mlw.EFORBIDDEN, "artifact store %s: access denied for %s", s.where, key)
	case gcerrors.Canceled, gcerrors.DeadlineExceeded:
		return err
	}
	return mlw.Errorf(mlw.EUNAVAILABLE, "artifact store %s: %s: %v", s.where, key, err)
}

// hashCheck hashes what it reads and fails at EOF when the sum differs.
type hashCheck struct {
	r    io.Reader
	h    hash.Hash
	want string
	what string
}

func (c *hashCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(c.h.Sum(nil)); got != c.want {
			return n, mlw.Errorf(mlw.EINTERNAL, "%s is corrupt: content hash %s…, want %s…", c.what, got[:12], c.want[:12])
		}
	}
	return n, err
}

type verifyingReader struct {
	io.ReadCloser
	hashCheck
}

func (v *verifyingReader) Read(p []byte) (int, error) { return v.hashCheck.Read(p) }

// WriteFileAtomic writes a file through a temporary file in the same directory,
// synced and renamed over path, so readers see the old content or the new, never
// a part. On error the temporary file is removed and path is untouched.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return mlw.Errorf(mlw.EINVALID, "write %s: %v", path, errors.Unwrap(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
