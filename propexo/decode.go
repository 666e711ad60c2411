package propexo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError reads Propexo's {"error":{"code","message","details"}} body; any
// other body still yields an APIError carrying the status. The validation
// issues sit at error.details.details.issues (the Zod error,
// docs/partners/propexo.md#errors); error.details.issues is read too.
func (c *Client) apiError(status int, body []byte) *APIError {
	type issues struct {
		Issues []Issue `json:"issues"`
	}
	var wire struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details struct {
				issues
				Details issues `json:"details"`
			} `json:"details"`
		} `json:"error"`
	}
	e := &APIError{StatusCode: status}
	if json.Unmarshal(body, &wire) == nil {
		e.Code = c.scrub(wire.Error.Code)
		e.Message = c.scrub(wire.Error.Message)
		e.Issues = append(wire.Error.Details.Details.Issues, wire.Error.Details.Issues...)
		for i := range e.Issues {
			e.Issues[i].Message = c.scrub(e.Issues[i].Message)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// scrub removes the token from text the partner sent, in case it echoes
// the request's headers back.
func (c *Client) scrub(s string) string {
	return strings.ReplaceAll(s, string(c.token), "[REDACTED]")
}

func decodeWrite(body []byte) (*WriteResponse, error) {
	var w struct {
		JobID string          `json:"job_id"`
		Data  json.RawMessage `json:"data"`
		Meta  struct {
			JobID string `json:"job_id"`
		} `json:"meta"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	out := &WriteResponse{JobID: cmp(w.JobID, w.Meta.JobID), Data: w.Data}
	if out.Data == nil {
		out.Data = w.Result
	}
	if out.JobID == "" {
		return nil, fmt.Errorf("%w: no job_id", ErrMalformedResponse)
	}
	return out, nil
}

type wireStatus struct {
	WriteStatus     Status            `json:"write_status"`
	Errors          []json.RawMessage `json:"errors"`
	CreatedRecordID json.RawMessage   `json:"created_record_id"`
}

// decodeWriteStatus accepts the status at the top level or wrapped in
// "data" or "result", as the write answers are.
func decodeWriteStatus(body []byte) (*WriteStatus, error) {
	var w struct {
		wireStatus
		Data   *wireStatus `json:"data"`
		Result *wireStatus `json:"result"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	ws := w.wireStatus
	for _, inner := range []*wireStatus{w.Data, w.Result} {
		if ws.WriteStatus == "" && inner != nil {
			ws = *inner
		}
	}
	if ws.WriteStatus == "" {
		return nil, fmt.Errorf("%w: no write_status", ErrMalformedResponse)
	}
	out := &WriteStatus{Status: ws.WriteStatus, CreatedRecordID: scalarText(ws.CreatedRecordID)}
	for _, raw := range ws.Errors {
		var msg struct {
			Message string `json:"message"`
		}
		switch {
		case scalarText(raw) != "":
			out.Errors = append(out.Errors, scalarText(raw))
		case json.Unmarshal(raw, &msg) == nil && msg.Message != "":
			out.Errors = append(out.Errors, msg.Message)
		default:
			out.Errors = append(out.Errors, string(raw))
		}
	}
	return out, nil
}

// scalarText renders a JSON string or number as text; null and others as "".
func scalarText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
