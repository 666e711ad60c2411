// Package playground serves GraphiQL entirely from the binary: the page,
// its script and GraphiQL's own files (a pinned release vendored into
// assets/ by update.sh, with its licenses). The page makes no request to
// another host, so its CSP allows this origin only.
package playground

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.ParseFS(assets, "assets/index.html"))

// CSP keeps the playground to its own origin: scripts and styles from the
// files served here, requests (HTTP and websocket) to this server only,
// and no page may frame it. GraphiQL sets inline styles and its stylesheet
// embeds its fonts and icons as data: URLs.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the page at its route and the files under Base.
type Handler struct {
	// Title is the page's title.
	Title string
	// Endpoint is the GraphQL path (HTTP and websocket) on this origin.
	Endpoint string
	// Headers pre-fill the headers editor (demo mode's Authorization).
	Headers map[string]string
}

// Base is the path the page loads its files from.
const Base = "/playground/"

// Page serves the playground's HTML.
func (h Handler) Page(w http.ResponseWriter, r *http.Request) {
	var headers string
	if len(h.Headers) > 0 {
		b, _ := json.MarshalIndent(h.Headers, "", "  ")
		headers = string(b)
	}
	tabs, _ := json.Marshal(Examples)
	setHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page can hold a token (demo mode): never cache it.
	w.Header().Set("Cache-Control", "no-store")
	_ = page.Execute(w, map[string]string{"Title": h.Title, "Endpoint": h.Endpoint, "Headers": headers, "Base": Base,
		"Tabs": string(tabs)})
}

// Files serves the page's script, GraphiQL's release and the licenses
// under Base; the template and the update script are not served.
//
// Embedded files have no modification time, so without more the browser
// fetched GraphiQL's 2 MB again on every visit. Each file gets a strong
// ETag (its SHA-256) and "no-cache": the browser asks each time and gets a
// 304 while the binary is the same, and a new release the moment it is not.
func Files() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	etags := map[string]string{}
	if err := fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags[path] = `"` + hex.EncodeToString(sum[:16]) + `"`
		return nil
	}); err != nil {
		panic(err)
	}
	files := http.StripPrefix(Base, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Base)
		if name == "" || name == "index.html" || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		setHeaders(w)
		if etag, ok := etags[name]; ok {
			// http.FileServer answers If-None-Match from this header.
			w.Header().Set("ETag", etag)
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// setHeaders keeps the playground out of every frame: it holds a token (in
// demo mode, pre-filled) and runs what is typed into it.
func setHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", CSP)
	w.Header().Set("X-Frame-Options", "DENY")
}
