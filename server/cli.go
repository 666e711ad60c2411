package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/internal/observe"
	"github.com/leasegraph/leasegraph/leases/importer"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/viewer"
)

// stringList collects a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, strings.Split(v, ",")...); return nil }

// command is one administration command: its flags are parsed before the
// database is opened, so its -h (or a mistake) touches no database.
type command struct {
	// flags declares the command's flags on fs; it returns what runs once
	// they are parsed, or an error for a bad combination.
	flags func(fs *flag.FlagSet) func(ctx context.Context, db *ent.Client, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"client create": {flags: func(fs *flag.FlagSet) func(context.Context, *ent.Client, io.Writer, io.Writer) error {
		name := fs.String("name", "", "the client's name (required)")
		return func(ctx context.Context, db *ent.Client, stdout, _ io.Writer) error {
			c, err := (&tenancy.Service{DB: db}).CreateClient(ctx, *name)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, c.ID)
			return nil
		}
	}},
	"token create": {flags: func(fs *flag.FlagSet) func(context.Context, *ent.Client, io.Writer, io.Writer) error {
		clientID := fs.Int("client", 0, "the client the token acts for")
		admin := fs.Bool("admin", false, "create a platform admin token (no client)")
		name := fs.String("name", "", "what the token is for")
		var scopes stringList
		fs.Var(&scopes, "scope", "read, write or admin (repeatable; default read)")
		return func(ctx context.Context, db *ent.Client, stdout, stderr io.Writer) error {
			if (*clientID == 0) == !*admin {
				return fmt.Errorf("give --client ID, or --admin for a platform admin token")
			}
			if *admin {
				scopes = stringList{"admin"}
			}
			sc, err := tenancy.ParseScopes(scopes)
			if err != nil {
				return err
			}
			_, secret, err := (&tenancy.Service{DB: db}).CreateToken(ctx, tenancy.NewToken{ClientID: *clientID, Name: *name, Scopes: sc})
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, secret)
			fmt.Fprintln(stderr, "Store this token now: it cannot be shown again.")
			return nil
		}
	}},
	"token list": {flags: func(fs *flag.FlagSet) func(context.Context, *ent.Client, io.Writer, io.Writer) error {
		clientID := fs.Int("client", 0, "the client whose tokens to list (required)")
		return func(ctx context.Context, db *ent.Client, stdout, _ io.Writer) error {
			if *clientID == 0 {
				return fmt.Errorf("give --client ID")
			}
			tokens, err := (&tenancy.Service{DB: db}).ListTokens(ctx, *clientID)
			if err != nil {
				return err
			}
			printTokens(stdout, tokens)
			return nil
		}
	}},
	"token revoke": {flags: func(fs *flag.FlagSet) func(context.Context, *ent.Client, io.Writer, io.Writer) error {
		return func(ctx context.Context, db *ent.Client, stdout, _ io.Writer) error {
			if fs.NArg() != 1 {
				return fmt.Errorf("give the token's prefix, as token list shows it")
			}
			t, err := (&tenancy.Service{DB: db}).RevokeToken(ctx, 0, fs.Arg(0))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s\n", t.Prefix)
			return nil
		}
	}},
	"import leases": {flags: importLeases},
}

// runCommand runs an administration command against DATABASE_URL, acting as
// the system viewer: the operator at the console is trusted. The command
// line is parsed whole before the configuration is read or the database
// opened.
func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && args[0] == "migrate" {
		cfg, err := config.Load(os.Getenv)
		if err != nil {
			return err
		}
		return migrateCommand(ctx, cfg.DatabaseURL, cfg.DB, stdout)
	}
	name := strings.Join(args[:min(2, len(args))], " ")
	cmd, ok := commands[name]
	if !ok {
		return fmt.Errorf("unknown command %q: see server -h", strings.Join(args, " "))
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	runIt := cmd.flags(fs)
	if err := fs.Parse(args[min(2, len(args)):]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	log := observe.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	// No statement timeout: a console command has no request deadline.
	client, _, err := database.Open(ctx, cfg.DatabaseURL, config.DB{ConnectTimeout: cfg.DB.ConnectTimeout}, cfg.Migrate, log)
	if err != nil {
		return err
	}
	defer client.Close()
	return runIt(viewer.SystemContext(ctx), client, stdout, stderr)
}

// migrateCommand applies the pending migrations and says what it did.
func migrateCommand(ctx context.Context, url string, dc config.DB, stdout io.Writer) error {
	drv, err := database.DriverWith(url, config.DB{ConnectTimeout: dc.ConnectTimeout})
	if err != nil {
		return err
	}
	defer drv.Close()
	res, err := database.ApplyMigrations(ctx, drv)
	if err != nil {
		return err
	}
	if res.Baselined != "" {
		fmt.Fprintf(stdout, "recorded the schema created by auto-migration as %s\n", res.Baselined)
	}
	for _, f := range res.Recorded {
		fmt.Fprintf(stdout, "recorded %s (River's own migrator had applied it)\n", f)
	}
	for _, f := range res.Applied {
		fmt.Fprintf(stdout, "applied %s\n", f)
	}
	if res.Baselined == "" && len(res.Applied) == 0 && len(res.Recorded) == 0 {
		fmt.Fprintln(stdout, "the schema is up to date: nothing to apply")
	}
	return nil
}

func printTokens(w io.Writer, tokens []*ent.APIToken) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tNAME\tSCOPES\tCREATED\tLAST USED\tREVOKED")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Prefix, t.Name, strings.Join(t.Scopes, ","),
			t.CreatedAt.Format(time.RFC3339), when(t.LastUsedAt), when(t.RevokedAt))
	}
	_ = tw.Flush()
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// importLeases runs a feed import and prints its report as JSON. A feed with
// bad rows writes nothing and makes the command fail.
func importLeases(fs *flag.FlagSet) func(context.Context, *ent.Client, io.Writer, io.Writer) error {
	clientID := fs.Int("client", 0, "the client to import into (required)")
	file := fs.String("file", "", "the feed, JSON or CSV (required)")
	mapFile := fs.String("map", "", "a JSON mapping of the feed's field names to ours")
	format := fs.String("format", "", "json or csv (default: from the file's extension or content)")
	dryRun := fs.Bool("dry-run", false, "validate and report without writing")
	return func(ctx context.Context, client *ent.Client, stdout, _ io.Writer) error {
		if *clientID == 0 || *file == "" {
			return fmt.Errorf("give --client ID and --file FEED")
		}
		return importFeed(ctx, client, *clientID, *file, *mapFile, *format, *dryRun, stdout)
	}
}

// importFeed imports the feed in file into the client.
func importFeed(ctx context.Context, client *ent.Client, clientID int, file, mapFile, format string, dryRun bool, stdout io.Writer) error {
	// The feed is streamed from the file (read in passes), never held whole.
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	_ = f.Close()
	feed := importer.Feed{Format: importer.DetectFormat(file, head[:n]),
		Open: func() (io.ReadCloser, error) { return os.Open(file) }}
	if format != "" {
		if feed.Format, err = importer.ParseFormat(format); err != nil {
			return err
		}
	}
	if mapFile != "" {
		raw, err := os.ReadFile(mapFile)
		if err != nil {
			return err
		}
		if feed.Mapping, err = importer.ParseMapping(raw); err != nil {
			return err
		}
	}
	report, err := (&importer.Service{DB: client}).Import(ctx, clientID, feed, dryRun)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		return err
	}
	if report.ErrorCount > 0 {
		return fmt.Errorf("the feed has %d errors: nothing was imported", report.ErrorCount)
	}
	return nil
}
