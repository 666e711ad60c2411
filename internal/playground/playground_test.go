package playground

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// GraphiQL's files are revalidated, not fetched again: the first answer
// carries an ETag, and asking with it gets 304 and no body. Files that are
// not served stay 404.
func TestFilesRevalidate(t *testing.T) {
	srv := httptest.NewServer(Files())
	defer srv.Close()
	get := func(path, etag string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	first := get(Base+"graphiql.min.js", "")
	etag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || etag == "" || first.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("first fetch: %d, ETag %q, Cache-Control %q", first.StatusCode, etag, first.Header.Get("Cache-Control"))
	}
	if again := get(Base+"graphiql.min.js", etag); again.StatusCode != http.StatusNotModified {
		t.Fatalf("with If-None-Match: %d, want 304", again.StatusCode)
	}
	if other := get(Base+"graphiql.min.css", etag); other.StatusCode != http.StatusOK {
		t.Fatalf("another file with the first's ETag: %d, want 200", other.StatusCode)
	}
	for _, p := range []string{Base + "index.html", Base + "update.sh", Base} {
		if res := get(p, ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
}
