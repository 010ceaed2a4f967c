package artifact

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mlw.dev/internal/mlw"
)

func TestPutGetRoundTrip(t *testing.T) {
	t.Parallel()
	for _, loc := range []string{"mem://", t.TempDir()} {
		t.Run(loc, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, err := Open(ctx, loc)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, s.Close()); require.NoError(t, s.Close()) })

			data := []byte("hello, artifacts")
			info, err := s.PutBytes(ctx, data)
			require.NoError(t, err)
			// sha256("hello, artifacts") from coreutils sha256sum.
			require.Equal(t, SumOf(data), info.Sum)
			require.Equal(t, "sha256/"+info.Sum[:2]+"/"+info.Sum, info.Key)
			require.EqualValues(t, len(data), info.Size)

			again, err := s.PutBytes(ctx, data)
			require.NoError(t, err)
			require.Equal(t, info, again)

			got, err := s.Get(ctx, info.Key)
			require.NoError(t, err)
			require.Equal(t, data, got)

			ok, err := s.Exists(ctx, info.Key)
			require.NoError(t, err)
			require.True(t, ok)

			_, err = s.Get(ctx, Key(strings.Repeat("0", 64)))
			require.Equal(t, mlw.ENOTFOUND, mlw.ErrorCode(err))
		})
	}
}

func TestSumKnownValue(t *testing.T) {
	t.Parallel()
	// printf 'abc' | sha256sum
	require.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", SumOf([]byte("abc")))
}

func TestPutFileAndGetToFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "artifacts"))
	require.NoError(t, err)
	defer s.Close()

	src := filepath.Join(dir, "data.csv")
	content := bytes.Repeat([]byte("a,b,c\n1,2,3\n"), 10000)
	require.NoError(t, os.WriteFile(src, content, 0o644))
	info, err := s.PutFile(ctx, src)
	require.NoError(t, err)
	require.Equal(t, SumOf(content), info.Sum)

	dst := filepath.Join(dir, "copy.csv")
	require.NoError(t, s.GetToFile(ctx, info.Key, dst))
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Equal(t, content, got)

	_, err = s.PutFile(ctx, filepath.Join(dir, "missing.csv"))
	require.Equal(t, mlw.EINVALID, mlw.ErrorCode(err))
	require.Contains(t, err.Error(), "missing.csv")
}

func TestCorruptionDetected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	require.NoError(t, err)
	defer s.Close()
	info, err := s.PutBytes(ctx, []byte("model bytes that matter"))
	require.NoError(t, err)

	path := filepath.Join(dir, filepath.FromSlash(info.Key))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[3] ^= 1
	require.NoError(t, os.WriteFile(path, b, 0o644))

	_, err = s.Get(ctx, info.Key)
	require.Error(t, err)
	require.Contains(t, err.Error(), "corrupt")
	require.Contains(t, err.Error(), info.Key)

	dst := filepath.Join(dir, "out.bin")
	require.Error(t, s.GetToFile(ctx, info.Key, dst))
	_, statErr := os.Stat(dst)
	require.True(t, os.IsNotExist(statErr), "no partial file is left behind")
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	sum := SumOf([]byte("x"))
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{Key(sum), true},
		{"sha256/zz/" + sum, false},
		{"md5/" + sum[:2] + "/" + sum, false},
		{"sha256/" + sum[:2] + "/" + sum[:10], false},
		{"../../etc/passwd", false},
	} {
		_, err := ParseKey(tc.key)
		require.Equal(t, tc.ok, err == nil, tc.key)
	}
}

func TestWriteFileAtomicFailureLeavesOld(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	err := WriteFileAtomic(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return mlw.Errorf(mlw.EINVALID, "boom")
	})
	require.Error(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "old", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary file removed")
}
