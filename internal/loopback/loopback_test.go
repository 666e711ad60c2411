package loopback

import "testing"

func TestURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://localhost:8080": true, "http://LOCALHOST": true, "http://app.localhost/x": true,
		"http://127.0.0.1:9000": true, "http://127.8.0.1": true, "http://[::1]:9000/": true, "http://0.0.0.0:8080": true,
		"https://api.example": false, "https://10.0.0.5": false, "http://localhost.example.com": false,
		"http://[2001:db8::1]": false, "%zz": false, "": false,
	} {
		if got := URL(raw); got != want {
			t.Errorf("URL(%q) = %v, want %v", raw, got, want)
		}
	}
}
