package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"

	_ "github.com/lib/pq"
)

// The read side's data: the shape of the peer performance harness's
// gen_lg.sql (kept outside this repository with the team's shared files,
// docs/testing.md#performance-harness), which this file follows rule by
// rule rather than copies (that script is PostgreSQL's SQL and needs psql),
// written through ent so that both databases get every column
// in the format leasegraph writes it:
//
//   - nclients clients, move-in set ["approved"], move-out set ["ending"];
//   - 100 properties per client (tag PROP-0001.., an address);
//   - nleases leases round-robin over the clients, status as a PMS sends it
//     ("Approved", "ENDING", "approved ", " Active", ...), both move dates,
//     each lease's anchor day uniform over S = 1461 * (leases per client) /
//     4000 days centred on 2024-04-15 (the move-out date for ending and
//     ended leases, else the move-in date), so that the harness's query
//     (moving MOVE_IN and MOVE_OUT in 2024-03-01..2024-05-31) matches about
//     80 to 120 leases per client at every size and every first page holds
//     50 leases;
//   - 1 to 3 tenants per lease (about 2), names, email, phones, a previous
//     address, a forwarding address for ending and ended leases (and one in
//     four others).
//
// The pseudo-random choices are h(row, salt) (splitmix64), so the data is
// the same each time it is made; it is not gen_lg.sql's rows (PostgreSQL's
// hashint8extended), only their distribution.

var (
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
		"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
		"Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Wei", "Ashley",
		"Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Priya", "Michelle", "Kenneth", "Aisha"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
		"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Patel"}
	streets = []string{"Maple", "Oak", "Pine", "Cedar", "Elm", "Birch", "Walnut", "Willow", "Aspen", "Spruce",
		"Main", "Park", "Lake", "Hill", "River", "Sunset", "Highland", "Church", "Mill", "Union"}
	cities = []string{"Austin", "Denver", "Portland", "Seattle", "Boston", "Chicago", "Atlanta", "Phoenix", "Dallas", "Miami",
		"Raleigh", "Nashville", "Columbus", "Madison", "Tampa", "Omaha", "Tucson", "Fresno", "Boise", "Reno"}
	states = []string{"TX", "CO", "OR", "WA", "MA", "IL", "GA", "AZ", "TX", "FL", "NC", "TN", "OH", "WI", "FL", "NE", "AZ", "CA", "ID", "NV"}
)

// h is a deterministic pseudo-random number for (row, salt).
func h(i, salt int) int {
	x := uint64(i)*0x9E3779B97F4A7C15 + uint64(salt)*0xBF58476D1CE4E5B9 + 0x94D049BB133111EB
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return int(x % 1000000007)
}

// statusOf is a lease's status (the key) and as a PMS sends it (raw).
func statusOf(l int) (key, raw string) {
	x := h(l, 2) % 100
	switch {
	case x < 5:
		key = "pending"
	case x < 30:
		key = "approved"
	case x < 55:
		key = "active"
	case x < 60:
		key = "month-to-month"
	case x < 75:
		key = "ending"
	case x < 95:
		key = "ended"
	default:
		key = "cancelled"
	}
	switch h(l, 12) % 10 {
	case 0:
		raw = strings.ToUpper(key)
	case 1:
		raw = key + " "
	case 2:
		raw = " " + title(key)
	case 3, 4:
		raw = key
	default:
		raw = title(key)
	}
	return key, raw
}

func title(s string) string {
	parts := strings.Split(s, "-")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, "-")
}

func addr(i, salt int, suffix string) *types.Address {
	return &types.Address{
		Street: fmt.Sprintf("%d %s %s", 1+h(i, salt)%9999, streets[h(i, salt+1)%20], suffix),
		City:   cities[h(i, salt+2)%20], State: states[h(i, salt+2)%20],
		Zip: fmt.Sprintf("%05d", 10000+h(i, salt+3)%89999),
	}
}

// generate fills an empty, migrated database with the read side's data.
func generate(ctx context.Context, db *ent.Client, nleases, nclients int, logf func(string, ...any)) error {
	ctx = viewer.SystemContext(ctx)
	start := time.Now()
	clients := make([]int, nclients)
	props := make([][]*ent.Property, nclients)
	for c := range nclients {
		co, err := db.Company.Create().SetName(fmt.Sprintf("Client %03d Property Management", c+1)).
			SetMoveInStatuses([]string{"approved"}).SetMoveOutStatuses([]string{"ending"}).Save(ctx)
		if err != nil {
			return err
		}
		clients[c] = co.ID
		bulk := make([]*ent.PropertyCreate, 100)
		for p := range 100 {
			n := p*nclients + c + 1
			a := &types.Address{
				Street: fmt.Sprintf("%d %s %s", 100+h(n, 3)%9800, streets[h(n, 4)%20], []string{"St", "Ave", "Blvd", "Rd", "Ln"}[h(n, 5)%5]),
				City:   cities[h(n, 6)%20], State: states[h(n, 6)%20], Zip: fmt.Sprintf("%05d", 10000+h(n, 7)%89999),
			}
			mode := property.ShowingModeSELF_SHOWING
			switch h(n, 8) % 10 {
			case 8:
				mode = property.ShowingModePRELEASE
			case 9:
				mode = property.ShowingModeINACTIVE
			}
			bulk[p] = db.Property.Create().SetClientID(co.ID).SetTag(fmt.Sprintf("PROP-%04d", p+1)).
				SetName(streets[h(n, 1)%20] + " " + []string{"Apartments", "Commons", "Village", "Lofts", "Towers"}[h(n, 2)%5]).
				SetAddress(a).SetShowingMode(mode)
		}
		if props[c], err = db.Property.CreateBulk(bulk...).Save(ctx); err != nil {
			return err
		}
	}
	span := max(1, int(1461.0*float64(nleases)/float64(nclients)/4000+0.5))
	centre := time.Date(2024, 4, 15, 0, 0, 0, 0, time.UTC)
	terms := []int{6, 12, 12, 12, 18, 24}
	const batch = 500
	tn := 0
	for from := 1; from <= nleases; from += batch {
		to := min(nleases, from+batch-1)
		err := inTx(ctx, db, func(tx *ent.Client) error {
			leases := make([]*ent.LeaseCreate, 0, batch)
			for l := from; l <= to; l++ {
				c, k := (l-1)%nclients, (l-1)/nclients
				pr := props[c][k%100]
				key, raw := statusOf(l)
				anchor := centre.AddDate(0, 0, -span/2+h(l, 1)%span)
				term := terms[h(l, 4)%6]
				var ls, le, mi, mo time.Time
				if key == "ending" || key == "ended" {
					le = anchor.AddDate(0, 0, h(l, 7)%3)
					ls = le.AddDate(0, -term, 1)
					mi, mo = ls.AddDate(0, 0, h(l, 5)%3), anchor
				} else {
					ls = anchor.AddDate(0, 0, -(h(l, 5) % 3))
					le = ls.AddDate(0, term, -1)
					mi, mo = anchor, le.AddDate(0, 0, -(h(l, 7)%3))
				}
				unit := *pr.Address
				unit.Apt = fmt.Sprintf("%d%02d", (k/100)%40/8+1, (k/100)%8+1)
				use := "residential"
				switch x := h(l, 3) % 100; {
				case x >= 95:
					use = "student"
				case x >= 85:
					use = "commercial"
				}
				created := ls.AddDate(0, 0, -30)
				leases = append(leases, tx.Lease.Create().SetClientID(clients[c]).SetPropertyID(pr.ID).
					SetSourceID(fmt.Sprintf("L%07d", k+1)).SetUnitAddress(&unit).SetStatus(raw).
					SetLeaseStartDate(ls).SetLeaseEndDate(le).SetMoveInDate(mi).SetMoveOutDate(mo).SetUseType(use).
					SetExtra(map[string]any{"rent_cents": 90000 + h(l, 9)%300000, "bedrooms": h(l, 13) % 4, "square_feet": 450 + h(l, 14)%1200}).
					SetCreatedAt(created).SetUpdatedAt(created.Add(time.Duration(h(l, 10)%500)*time.Hour)))
			}
			saved, err := tx.Lease.CreateBulk(leases...).Save(ctx)
			if err != nil {
				return err
			}
			tenants := make([]*ent.TenantCreate, 0, 3*batch)
			for i, le := range saved {
				l := from + i
				key, _ := statusOf(l)
				for k := range 1 + h(l, 11)%3 {
					tn++
					t := tn
					fn, ln := firstNames[h(t, 1)%40], lastNames[h(t, 2)%40]
					tc := tx.Tenant.Create().SetClientID(le.ClientID).SetLeaseID(le.ID).SetSourceID(fmt.Sprintf("T%08d", t)).
						SetFirstName(fn).SetLastName(ln).SetEmail(fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(fn), strings.ToLower(ln), t)).
						SetCellPhone(fmt.Sprintf("+1%d555%04d", 200+h(t, 3)%800, h(t, 4)%10000)).
						SetPreviousAddress(addr(t, 12, "St")).SetExtra(map[string]any{"primary": k == 0}).
						SetCreatedAt(le.CreatedAt).SetUpdatedAt(le.CreatedAt)
					if h(t, 5)%3 == 0 {
						tc.SetHomePhone(fmt.Sprintf("+1%d555%04d", 200+h(t, 6)%800, h(t, 7)%10000))
					}
					switch h(t, 8) % 3 {
					case 1:
						tc.SetGender(tenant.GenderMALE)
					case 2:
						tc.SetGender(tenant.GenderFEMALE)
					}
					if key == "ending" || key == "ended" || h(t, 24)%4 == 0 {
						tc.SetForwardingAddress(addr(t, 18, "Ave"))
					}
					tenants = append(tenants, tc)
				}
			}
			for len(tenants) > 0 {
				n := min(len(tenants), 1000)
				if err := tx.Tenant.CreateBulk(tenants[:n]...).Exec(ctx); err != nil {
					return err
				}
				tenants = tenants[n:]
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("leases %d..%d: %w", from, to, err)
		}
		if to%20000 < batch || to == nleases {
			logf("data: %d of %d leases (%d tenants), %s", to, nleases, tn, time.Since(start).Round(time.Second))
		}
	}
	return nil
}

func inTx(ctx context.Context, db *ent.Client, f func(*ent.Client) error) error {
	tx, err := db.Tx(ctx)
	if err != nil {
		return err
	}
	if err := f(tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ---- one run's database ---------------------------------------------------

// store makes each phase's database: a copy of the cached generated one.
type store struct {
	kind     string // postgres or sqlite
	adminURL string // postgres: a database to run CREATE DATABASE from
	work     string // cache and run files
	nleases  int
	nclients int
	logf     func(string, ...any)
}

func (s *store) baseName() string { return fmt.Sprintf("lgmixed_%d_%d", s.nleases, s.nclients) }

// pgURL is the admin URL with another database.
func (s *store) pgURL(dbname string) string {
	u, err := url.Parse(s.adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + dbname
	return u.String()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// ensureBase makes the generated database once (it is kept in the cache:
// a PostgreSQL database, an SQLite file under work).
func (s *store) ensureBase(ctx context.Context) error {
	switch s.kind {
	case "postgres":
		admin, err := sql.Open("postgres", s.adminURL)
		if err != nil {
			return err
		}
		defer admin.Close()
		var n int
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", s.baseName()).Scan(&n); err != nil {
			return err
		}
		if n == 1 {
			return nil
		}
		tmp := s.baseName() + "_making"
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+tmp); err != nil {
			return err
		}
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+tmp); err != nil {
			return err
		}
		if err := s.fill(ctx, s.pgURL(tmp)); err != nil {
			return err
		}
		_, err = admin.ExecContext(ctx, "ALTER DATABASE "+tmp+" RENAME TO "+s.baseName())
		return err
	default:
		path := filepath.Join(s.work, s.baseName()+".db")
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		tmp := path + ".making"
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(tmp + suffix)
		}
		if err := s.fill(ctx, "sqlite:"+tmp); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	}
}

func (s *store) fill(ctx context.Context, dbURL string) error {
	s.logf("data: generating %d leases for %d clients into %s (once; kept for later runs)", s.nleases, s.nclients, s.kind)
	db, drv, err := database.Open(ctx, dbURL, database.DefaultConfig(), config.MigrateAuto, quiet())
	if err != nil {
		return err
	}
	defer drv.Close()
	if err := generate(ctx, db, s.nleases, s.nclients, s.logf); err != nil {
		return err
	}
	if s.kind == "postgres" {
		_, err = drv.DB().ExecContext(ctx, "VACUUM (ANALYZE) companies, properties, leases, tenants")
	} else {
		_, err = drv.DB().ExecContext(ctx, "ANALYZE")
		if err == nil {
			_, err = drv.DB().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		}
	}
	return err
}

// fresh makes the phase's database, a copy of the base, and answers its
// DATABASE_URL.
func (s *store) fresh(ctx context.Context, phase string) (string, error) {
	switch s.kind {
	case "postgres":
		admin, err := sql.Open("postgres", s.adminURL)
		if err != nil {
			return "", err
		}
		defer admin.Close()
		name := "lgmixed_run"
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return "", err
		}
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+s.baseName()); err != nil {
			return "", err
		}
		return s.pgURL(name), nil
	default:
		dst := filepath.Join(s.work, "run.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(dst + suffix)
		}
		if err := copyFile(filepath.Join(s.work, s.baseName()+".db"), dst); err != nil {
			return "", err
		}
		return "sqlite:" + dst, nil
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ---- the phase's clients and tokens ---------------------------------------

// tokens are the secrets a phase uses.
type tokens struct {
	readers      []string // one read token per generated client, in id order
	prospects    string   // admin token of the client whose prospects go to Propexo
	registration string   // write token of the iframe's client (the agent's auth_token)
	regAdmin     string   // admin token of the same client (its webhook endpoint)
	screening    string   // admin token of the SmartMove client
	sync         string   // admin token of the client whose leases are synced
	syncClient   int      // that client's id
	platform     string   // a platform admin token (sets the sync client's integration)
}

const (
	prospectsIntegration = "int-mixed-prospects"
	syncIntegration      = "int-mixed-sync"
	crmOrigin            = "https://crm.example.com"
)

// arrange adds the writers' clients to the phase's database and makes the
// tokens. The sync client gets its Propexo integration only when the load
// starts (setIntegration): the periodic sync that every server start runs
// would otherwise start its first sync before the measurement.
func arrange(ctx context.Context, dbURL string) (tokens, error) {
	var tk tokens
	db, drv, err := database.Open(ctx, dbURL, database.DefaultConfig(), config.MigrateAuto, quiet())
	if err != nil {
		return tk, err
	}
	defer drv.Close()
	ctx = viewer.SystemContext(ctx)
	ts := &tenancy.Service{DB: db}
	tok := func(clientID int, s ...viewer.Scope) (string, error) {
		_, secret, err := ts.CreateToken(ctx, tenancy.NewToken{ClientID: clientID, Name: "mixedload", Scopes: s})
		return secret, err
	}
	ids, err := db.Company.Query().Order(ent.Asc(company.FieldID)).IDs(ctx)
	if err != nil {
		return tk, err
	}
	for _, id := range ids {
		secret, err := tok(id, viewer.ScopeRead)
		if err != nil {
			return tk, err
		}
		tk.readers = append(tk.readers, secret)
	}
	mk := func(name string, set func(*ent.CompanyCreate)) (int, error) {
		c := db.Company.Create().SetName(name)
		set(c)
		co, err := c.Save(ctx)
		if err != nil {
			return 0, err
		}
		return co.ID, nil
	}
	pid, err := mk("Mixed load: prospects", func(c *ent.CompanyCreate) { c.SetPropexoIntegrationID(prospectsIntegration) })
	if err != nil {
		return tk, err
	}
	rid, err := mk("Mixed load: registrations", func(c *ent.CompanyCreate) { c.SetCrmOrigins([]string{crmOrigin}) })
	if err != nil {
		return tk, err
	}
	if err := db.Property.Create().SetClientID(rid).SetTag("OPEN").SetName("Mixed Open House").
		SetAddress(&types.Address{Street: "100 Congress Ave", City: "Austin", State: "TX", Zip: "78701"}).Exec(ctx); err != nil {
		return tk, err
	}
	sid, err := mk("Mixed load: screening", func(c *ent.CompanyCreate) { c.SetSmartmoveReference("ref-mixed") })
	if err != nil {
		return tk, err
	}
	yid, err := mk("Mixed load: sync", func(*ent.CompanyCreate) {})
	if err != nil {
		return tk, err
	}
	tk.syncClient = yid
	if tk.platform, err = tok(0, viewer.ScopeAdmin); err != nil {
		return tk, err
	}
	for _, t := range []struct {
		dst   *string
		id    int
		scope viewer.Scope
	}{{&tk.prospects, pid, viewer.ScopeAdmin}, {&tk.registration, rid, viewer.ScopeWrite}, {&tk.regAdmin, rid, viewer.ScopeAdmin},
		{&tk.screening, sid, viewer.ScopeAdmin}, {&tk.sync, yid, viewer.ScopeAdmin}} {
		if *t.dst, err = tok(t.id, t.scope); err != nil {
			return tk, err
		}
	}
	return tk, nil
}
