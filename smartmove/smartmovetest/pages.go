package smartmovetest

import (
	"html/template"
	"net/http"
)

// The two pages the API's links open, enough for a demo: the landlord's
// create form and the report viewer.
const (
	createPagePath = "/smartmove/api/create/"
	reportPagePath = "/smartmove/api/application/report/"
)

var pages = template.Must(template.New("create").Parse(`<!doctype html>
<title>SmartMove (simulated)</title>
<h1>Create application</h1>
<p>Customer {{.Ref}}, applicants: {{range .Applicants}}{{.}} {{end}}</p>
<form method="post"><button>Create application</button></form>
{{define "created"}}<!doctype html><title>SmartMove (simulated)</title>
<h1>Application {{.}} created</h1>{{end}}
{{define "report"}}<!doctype html><title>SmartMove (simulated)</title>
<h1>Reports for application {{.ID}}</h1><p>Recommendation: {{.Recommendation}}</p>
<ul>{{range .Applicants}}<li>{{.EmailAddress}}: {{.ApplicantStatus}}</li>{{end}}</ul>{{end}}`))

func (s *Server) createPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.drafts[r.PathValue("token")]
	var data struct {
		Ref        string
		Applicants []string
	}
	if d != nil {
		data.Ref = d.ref
		if d.order.Application != nil {
			data.Applicants = d.order.Application.Applicants
		}
	}
	s.mu.Unlock()
	if d == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pages.Execute(w, data)
}

func (s *Server) createPageSubmit(w http.ResponseWriter, r *http.Request) {
	id, err := s.FinishCreate(r.PathValue("token"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pages.ExecuteTemplate(w, "created", id)
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.apps[s.reports[r.PathValue("token")]]
	var d detailsOut
	if a != nil {
		d = detailsOf(a)
	}
	s.mu.Unlock()
	if a == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pages.ExecuteTemplate(w, "report", map[string]any{
		"ID": d.ApplicationID, "Recommendation": d.CreditRecommendationPolicyText, "Applicants": d.Applicants,
	})
}
