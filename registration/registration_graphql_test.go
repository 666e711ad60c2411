package registration_test

import (
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/ent/prospect"
	"github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

func TestRegisterProspectRules(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, token := e.ArrangeRegistrationClient("Acme")
		// A prospect whose email is banned, known by phone.
		if err := e.Client.Prospect.Create().SetClientID(clientID).SetPhone1("+15125550177").SetEmail1("banned@example.com").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			in      map[string]any
			status  string
			message string
		}{
			{"self-showing invites", map[string]any{"propertyTag": "OPEN", "fullName": "Ana Maria Lopez", "mobilePhone": "(512) 555-0134", "smsNotes": "Gate 12"}, "invited", "self-showing at Acme OPEN"},
			{"prelease waitlists", map[string]any{"propertyTag": "SOON", "mobilePhone": "512-555-0135"}, "prelease", "wait list for Acme SOON"},
			{"inactive property", map[string]any{"propertyTag": "SHUT", "mobilePhone": "512-555-0136"}, "incomplete", "not open for showings"},
			{"unknown property", map[string]any{"propertyTag": "NOPE", "mobilePhone": "512-555-0137"}, "incomplete", `No property with the tag "NOPE" was found: check the property in the CRM.`},
			{"missing property", map[string]any{"propertyTag": " ", "mobilePhone": "512-555-0137"}, "incomplete", "Choose the property to register the prospect for: the CRM sent no property tag."},
			{"missing phone", map[string]any{"propertyTag": "OPEN", "mobilePhone": ""}, "incomplete", "Enter the prospect's mobile phone number."},
			{"invalid phone", map[string]any{"propertyTag": "OPEN", "mobilePhone": "12345"}, "incomplete", "The mobile phone number is not valid: enter a 10-digit US number, or + and the country code."},
			{"sms notes too long", map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0138", "smsNotes": strings.Repeat("é", 151)}, "incomplete", "The SMS notes are 151 characters long: shorten them to 150 or fewer."},
			{"sms notes at the limit", map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0139", "smsNotes": strings.Repeat("é", 150)}, "invited", "self-showing"},
			{"banned phone, other spelling", map[string]any{"propertyTag": "OPEN", "mobilePhone": "+1 512 555 0199"}, "banned", "cannot be registered"},
			{"banned email given", map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0140", "email": "Banned@Example.com"}, "banned", "cannot be registered"},
			{"banned email of the known prospect", map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0177"}, "banned", "cannot be registered"},
			{"card required, none on file", map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0141", "requireCc": true}, "incomplete", "card on file is required"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var out apptest.RegisterResult
				e.MustGQL(token, apptest.RegisterMutation, map[string]any{"in": c.in}, &out)
				r := out.RegisterProspect
				if r.Status != c.status || !strings.Contains(r.Message, c.message) {
					t.Fatalf("got %s %q, want %s containing %q", r.Status, r.Message, c.status, c.message)
				}
				if r.Registration.Status != strings.ToUpper(c.status) || r.Registration.Channel != "GRAPHQL" {
					t.Fatalf("recorded %s via %s", r.Registration.Status, r.Registration.Channel)
				}
				success := c.status == "invited" || c.status == "prelease"
				if success {
					p := r.Registration.Prospect
					if p == nil || !strings.HasPrefix(p.Phone1, "+1512555") || len(p.IntegrationJobs.Edges) != 1 {
						t.Fatalf("prospect %+v", p)
					}
					job := p.IntegrationJobs.Edges[0].Node
					if job.Kind != "SMS" || job.Status != "NOT_SENT" || job.LastError != "no SMS provider is configured" {
						t.Fatalf("SMS delivery %+v", job)
					}
				}
			})
		}
		// Every attempt is recorded, failed ones too.
		n, err := e.Client.Registration.Query().Count(e.Sys())
		if err != nil || n != len(cases) {
			t.Fatalf("%d registrations recorded for %d attempts (%v)", n, len(cases), err)
		}
		var names struct {
			RegisterProspect struct {
				Registration struct {
					Prospect struct{ FirstName, LastName string }
				}
			}
		}
		e.MustGQL(token, apptest.RegisterMutation, map[string]any{"in": map[string]any{"propertyTag": "OPEN", "mobilePhone": "+15125550134"}}, &names)
		if n, _ := e.Client.Prospect.Query().Where(prospect.Phone1("+15125550134")).Count(e.Sys()); n != 1 {
			t.Errorf("registering the same phone twice made %d prospects", n)
		}
		if p := names.RegisterProspect.Registration.Prospect; p.FirstName != "Ana Maria" || p.LastName != "Lopez" {
			t.Errorf("the known prospect's name is %q %q", p.FirstName, p.LastName)
		}
	})
}

func TestRegisterProspectCardOnFile(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, token := e.ArrangeRegistrationClient("Acme")
		ctx := e.Sys()
		p, err := e.Client.Prospect.Create().SetClientID(clientID).SetPhone1("+15125550150").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		expired := e.Client.Card.Create().SetClientID(clientID).SetProspectID(p.ID).SetBrand("visa").SetLast4("4242").
			SetExpMonth(1).SetExpYear(2020).SetVaultToken("local_x")
		if err := expired.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		in := map[string]any{"in": map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0150", "requireCc": true}}
		var out apptest.RegisterResult
		e.MustGQL(token, apptest.RegisterMutation, in, &out)
		if out.RegisterProspect.Status != "incomplete" {
			t.Fatalf("with only an expired card: %s", out.RegisterProspect.Status)
		}
		if err := e.Client.Card.Create().SetClientID(clientID).SetProspectID(p.ID).SetBrand("visa").SetLast4("4242").
			SetExpMonth(12).SetExpYear(2099).SetVaultToken("local_y").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		e.MustGQL(token, apptest.RegisterMutation, in, &out)
		if out.RegisterProspect.Status != "invited" {
			t.Fatalf("with a card on file: %s %s", out.RegisterProspect.Status, out.RegisterProspect.Message)
		}
	})
}

func TestIsolationRegistration(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, tokenA := e.ArrangeRegistrationClient("Acme")
		bID, tokenB := e.ArrangeRegistrationClient("Bravo")
		if err := e.Client.Property.Create().SetClientID(bID).SetTag("BONLY").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		var out apptest.RegisterResult
		// B's property tag is unknown to A; the shared tag is A's own.
		e.MustGQL(tokenA, apptest.RegisterMutation, map[string]any{"in": map[string]any{"propertyTag": "BONLY", "mobilePhone": "512-555-0160"}}, &out)
		if out.RegisterProspect.Status != "incomplete" || !strings.Contains(out.RegisterProspect.Message, "was found") {
			t.Fatalf("A registering at B's property: %+v", out.RegisterProspect)
		}
		e.MustGQL(tokenA, apptest.RegisterMutation, map[string]any{"in": map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0160"}}, &out)
		if !strings.Contains(out.RegisterProspect.Message, "Acme OPEN") {
			t.Fatalf("A's OPEN resolved to %q", out.RegisterProspect.Message)
		}
		// B's ban list does not apply to A, and A's prospect is not B's.
		if err := e.Client.Ban.Create().SetClientID(bID).SetPhone("+15125550161").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		e.MustGQL(tokenA, apptest.RegisterMutation, map[string]any{"in": map[string]any{"propertyTag": "OPEN", "mobilePhone": "512-555-0161"}}, &out)
		if out.RegisterProspect.Status != "invited" {
			t.Fatalf("B's ban applied to A: %+v", out.RegisterProspect)
		}
		var regs struct{ Registrations struct{ TotalCount int } }
		e.MustGQL(tokenB, `{ registrations { totalCount } }`, nil, &regs)
		if regs.Registrations.TotalCount != 0 {
			t.Fatalf("B sees %d registrations made by A", regs.Registrations.TotalCount)
		}
		if n, _ := e.Client.Registration.Query().Where(registration.HasProspectWith(prospect.ClientID(bID))).Count(e.Sys()); n != 0 {
			t.Fatalf("%d of A's registrations point at B's prospects", n)
		}
	})
}

func TestCrmOriginsAndBans(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		id, token := e.NewClient("Acme")
		const update = `mutation($id: ID!, $o: [String!]!) { updateClientCrmOrigins(id: $id, origins: $o) { crmOrigins } }`
		var out struct{ UpdateClientCrmOrigins struct{ CrmOrigins []string } }
		e.MustGQL(token, update, map[string]any{"id": apptest.Itoa(id), "o": []string{"https://CRM.example.com", "http://localhost:3000/"}}, &out)
		if got := out.UpdateClientCrmOrigins.CrmOrigins; len(got) != 2 || got[0] != "https://crm.example.com" || got[1] != "http://localhost:3000" {
			t.Fatalf("origins stored as %v", got)
		}
		for _, bad := range []string{"crm.example.com", "https://crm.example.com/path", "ftp://crm.example.com", "*"} {
			r := e.GQL(token, update, map[string]any{"id": apptest.Itoa(id), "o": []string{bad}})
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Errorf("origin %q: %+v", bad, r.Errors)
			}
		}
		c, err := e.Client.Company.Get(e.Sys(), id)
		if err != nil || len(c.CrmOrigins) != 2 {
			t.Fatalf("a rejected update changed the origins: %v %v", c.CrmOrigins, err)
		}

		var ban struct {
			AddBan struct{ ID, Phone, Email string }
		}
		e.MustGQL(token, `mutation { addBan(input: {phone: "(512) 555-0100", reason: "fraud"}) { id phone email } }`, nil, &ban)
		if ban.AddBan.Phone != "+15125550100" {
			t.Fatalf("ban phone stored as %q", ban.AddBan.Phone)
		}
		for _, bad := range []string{`{}`, `{phone: "123"}`, `{email: "nobody"}`} {
			r := e.GQL(token, `mutation { addBan(input: `+bad+`) { id } }`, nil)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
				t.Errorf("addBan(%s): %+v", bad, r.Errors)
			}
		}
		e.MustGQL(token, `mutation($id: ID!) { removeBan(id: $id) }`, map[string]any{"id": ban.AddBan.ID}, nil)
		if n, _ := e.Client.Ban.Query().Count(e.Sys()); n != 0 {
			t.Fatalf("%d bans left", n)
		}
		r := e.GQL(token, `mutation($id: ID!) { removeBan(id: $id) }`, map[string]any{"id": ban.AddBan.ID})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Fatalf("removing a removed ban: %+v", r.Errors)
		}
	})
}
