// Command server runs leasegraph: the GraphQL API, its HTTP routes and the
// command-line administration of clients and tokens. It only parses the
// configuration and the command line; internal/app builds and runs the
// application.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/internal/app"
	"github.com/leasegraph/leasegraph/internal/observe"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run dispatches the command line: no arguments serves, the rest administer.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		config.WriteHelp(stderr)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if fs.NArg() > 0 {
		return runCommand(ctx, fs.Args(), stdout, stderr)
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	return app.Serve(ctx, cfg, observe.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel))
}

const usage = `Usage:
  server                          serve the API on $PORT
  server migrate                  apply pending schema migrations and list them
  server client create --name NAME
  server token create --client ID [--scope read|write|admin]... [--name N]
  server token create --admin [--name N]      (a platform admin token)
  server token list --client ID
  server token revoke PREFIX
  server import leases --client ID --file FEED [--map MAPPING.json] [--format json|csv] [--dry-run]

`
