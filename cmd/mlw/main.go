// Command mlw carries a tabular machine-learning project through its lifecycle.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"mlw.dev/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.NewApp(), os.Args[1:])
	stop()
	os.Exit(code)
}
