package middleware

import (
	"bufio"
	"net"
	"net/http"
)

// Recorder is a ResponseWriter that remembers the status it answered, for
// the request log and the route metrics. It stays transparent to
// http.ResponseController (flushes, write deadlines, the websocket's
// hijack), which reaches the writer beneath through Unwrap.
type Recorder struct {
	http.ResponseWriter
	status int
}

// NewRecorder wraps w; an answer that never sets a status is a 200.
func NewRecorder(w http.ResponseWriter) *Recorder {
	return &Recorder{ResponseWriter: w, status: http.StatusOK}
}

// Status is the answer's status so far.
func (s *Recorder) Status() int { return s.status }

func (s *Recorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Hijack lets the websocket transport (gorilla's upgrader asserts
// http.Hijacker) take the connection over.
func (s *Recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.status = http.StatusSwitchingProtocols
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *Recorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
