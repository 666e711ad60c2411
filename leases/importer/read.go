package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// object is a JSON object (or a CSV row) with its keys in the source's
// order: "phone, phone1, phone2" are classified first come, first served.
type object []member

type member struct {
	Key string
	Val any // string, json.Number, bool, nil, object or []any
}

// source is one record of a feed and where it sits.
type source struct {
	obj object
	at  Position
}

// recordReader yields a feed's records one at a time, so that a feed is
// never held whole: next returns io.EOF after the last record.
type recordReader interface {
	next() (source, error)
}

func newRecordReader(format Format, r io.Reader) (recordReader, error) {
	switch format {
	case JSON:
		dec := json.NewDecoder(r)
		dec.UseNumber() // ids such as 0012 or 9007199254740993 stay as written
		return &jsonReader{dec: dec}, nil
	case CSV:
		return newCSVReader(r)
	}
	return nil, fmt.Errorf("unknown feed format %q: use json or csv", format)
}

// jsonReader reads an array of leases, or an object holding one (such as
// {"leases": [...], "page": 1}), token by token.
type jsonReader struct {
	dec     *json.Decoder
	started bool
	inObj   bool // the top level is an object
	inArr   bool // within the leases array
	found   bool // the object's array was seen
	index   int
}

var errNotLeases = errors.New("the feed must be a JSON array of leases, or an object holding exactly one array")

func (r *jsonReader) next() (source, error) {
	if !r.started {
		r.started = true
		tok, err := r.dec.Token()
		if err != nil {
			return source{}, r.syntax(err)
		}
		switch tok {
		case json.Delim('['):
			r.inArr = true
		case json.Delim('{'):
			r.inObj = true
		default:
			return source{}, errors.New("the feed must be a JSON array of leases")
		}
	}
	for {
		if r.inArr {
			if r.dec.More() {
				v, err := decodeOrdered(r.dec)
				if err != nil {
					return source{}, r.syntax(err)
				}
				obj, ok := v.(object)
				if !ok {
					return source{}, fmt.Errorf("record %d is not a JSON object", r.index)
				}
				r.index++
				return source{obj: obj, at: Position{Index: r.index - 1}}, nil
			}
			if _, err := r.dec.Token(); err != nil { // ]
				return source{}, r.syntax(err)
			}
			r.inArr = false
			if !r.inObj {
				return source{}, r.end()
			}
		}
		if !r.inObj {
			return source{}, io.EOF
		}
		if !r.dec.More() {
			if _, err := r.dec.Token(); err != nil { // }
				return source{}, r.syntax(err)
			}
			r.inObj = false
			if !r.found {
				return source{}, errNotLeases
			}
			return source{}, r.end()
		}
		if _, err := r.dec.Token(); err != nil { // the member's key
			return source{}, r.syntax(err)
		}
		tok, err := r.dec.Token()
		if err != nil {
			return source{}, r.syntax(err)
		}
		switch tok {
		case json.Delim('['):
			if r.found {
				return source{}, errNotLeases
			}
			r.found, r.inArr = true, true
		case json.Delim('{'):
			if err := skipRest(r.dec); err != nil {
				return source{}, r.syntax(err)
			}
		}
	}
}

// end checks that nothing follows the feed's JSON value.
func (r *jsonReader) end() error {
	if _, err := r.dec.Token(); err != io.EOF {
		return errors.New("the feed has data after its JSON value")
	}
	return io.EOF
}

func (r *jsonReader) syntax(err error) error {
	return fmt.Errorf("the feed is not valid JSON: %v", err)
}

// skipRest consumes the rest of an object or array whose opening
// delimiter was read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := object{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{Key: k.(string), Val: v})
		}
		_, err := dec.Token()
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return tok, nil
}

// csvReader reads a header row and one record per row. Lines count from
// the header (line 1) and follow quoted newlines, so they match an editor's.
type csvReader struct {
	r      *csv.Reader
	header []string
}

func newCSVReader(in io.Reader) (*csvReader, error) {
	br := bufio.NewReader(in)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) { // Excel's byte-order mark
		_, _ = br.Discard(3)
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the CSV feed has no header row: %v", err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	r.ReuseRecord = true
	return &csvReader{r: r, header: header}, nil
}

func (c *csvReader) next() (source, error) {
	for {
		row, err := c.r.Read()
		if err == io.EOF {
			return source{}, io.EOF
		}
		if err != nil {
			return source{}, fmt.Errorf("the CSV feed cannot be read: %v", err)
		}
		line, _ := c.r.FieldPos(0)
		if len(row) > len(c.header) {
			return source{}, fmt.Errorf("line %d has %d fields, the header %d", line, len(row), len(c.header))
		}
		obj := make(object, 0, len(c.header))
		blank := true
		for i, h := range c.header {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			blank = blank && strings.TrimSpace(v) == ""
			obj = append(obj, member{Key: h, Val: v})
		}
		if !blank {
			return source{obj: obj, at: Position{Line: line}}, nil
		}
	}
}

// plain turns decoded JSON back into the values encoding/json produces, for
// extra fields.
func plain(v any) any {
	switch v := v.(type) {
	case object:
		m := make(map[string]any, len(v))
		for _, e := range v {
			m[e.Key] = plain(e.Val)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plain(e)
		}
		return out
	}
	return v
}
