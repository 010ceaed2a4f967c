package predlog

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"context"
	"net/http"
	"strconv"

	"mlw.dev/internal/serve"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, precise := range []bool{false, true} {
		o := wideObservation(sharedWide(t), 1, precise)
		var c conversion
		c.init(o)
		var e encoder
		best := time.Hour
		for range 20 {
			const n = 20000
			s := threadCPU()
			for range n {
				e.convert(&c, o, 0, 1)
			}
			if d := (threadCPU() - s) / n; d < best {
				best = d
			}
		}
		t.Logf("convert precise=%v: %v/row (thread cpu, best of 20)", precise, best)
		l, _ := New(Config{Sink: discard{}})
		_ = l.Start(context.Background())
		best = time.Hour
		for range 20 {
			const n = 20000
			s := threadCPU()
			for range n {
				l.Observe(o)
			}
			if d := (threadCPU() - s) / n; d < best {
				best = d
			}
		}
		_ = l.Close(context.Background())
		t.Logf("observe precise=%v: %v/row (thread cpu, best of 20), dropped %d", precise, best, l.Dropped())
	}
}

func TestZZHandlerCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m := gbdt30(t)
	body := []byte(`{"instances": [{` )
	for j := range 30 {
		if j > 0 { body = append(body, ", "...) }
		body = append(body, `"f`+strconv.Itoa(j)+`": `+strconv.FormatFloat(float64(j)/10-1.5+0.123456, 'f', 6, 64)...)
	}
	body = append(body, "}]}"...)
	for _, logged := range []bool{false, true, false, true} {
		route, _ := serve.Single(&serve.Variant{Name: "primary", Model: m})
		table, _ := serve.NewTable(map[string]*serve.Route{"synth": route})
		cfg := serve.Config{Router: table}
		var l *Logger
		if logged {
			l, _ = New(Config{Sink: discard{}})
			_ = l.Start(context.Background())
			cfg.Observer = l
		}
		s, _ := serve.New(cfg)
		rb := &benchBody{}
		req, _ := http.NewRequest("POST", "http://localhost/v1/endpoints/synth/predict", rb)
		req.ContentLength = int64(len(body))
		w := &benchWriter{h: http.Header{}}
		h := s.Handler()
		best := time.Hour
		for range 20 {
			const n = 5000
			st := threadCPU()
			for range n {
				rb.Reset(body)
				clear(w.h)
				h.ServeHTTP(w, req)
			}
			if d := (threadCPU() - st) / n; d < best {
				best = d
			}
		}
		_ = s.Stop()
		if l != nil { _ = l.Close(context.Background()) }
		t.Logf("handler log=%v: %v/request (thread cpu, best of 20), status %d", logged, best, w.code)
	}
}
