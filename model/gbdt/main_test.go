package gbdt

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestMain fails the run if a worker goroutine of a fit outlives it, as
// goleak.VerifyTestMain would (the module does not depend on goleak).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if strings.Contains(stacks, "mlw.dev/model/gbdt.newWorkers") {
			fmt.Fprintln(os.Stderr, "gbdt: worker goroutines leaked:\n"+stacks)
			code = 1
		}
	}
	os.Exit(code)
}
