package importer

import (
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

// readJSON accepts an array of leases, or an object holding one (such as
// {"leases": [...], "page": 1}).
func readJSON(data []byte) ([]source, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // ids such as 0012 or 9007199254740993 stay as written
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, fmt.Errorf("the feed is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the feed has data after its JSON value")
	}
	if obj, ok := v.(object); ok {
		var arrays []any
		for _, m := range obj {
			if a, ok := m.Val.([]any); ok {
				arrays = append(arrays, a)
			}
		}
		if len(arrays) != 1 {
			return nil, errors.New("the feed must be a JSON array of leases, or an object holding exactly one array")
		}
		v = arrays[0]
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("the feed must be a JSON array of leases")
	}
	out := make([]source, 0, len(arr))
	for i, e := range arr {
		obj, ok := e.(object)
		if !ok {
			return nil, fmt.Errorf("record %d is not a JSON object", i)
		}
		out = append(out, source{obj: obj, at: Position{Index: i}})
	}
	return out, nil
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

// readCSV reads a header row and one record per row. Lines count from the
// header (line 1) and follow quoted newlines, so they match an editor's.
func readCSV(data []byte) ([]source, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // Excel's byte-order mark
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the CSV feed has no header row: %v", err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
	}
	var out []source
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the CSV feed cannot be read: %v", err)
		}
		line, _ := r.FieldPos(0)
		if len(row) > len(header) {
			return nil, fmt.Errorf("line %d has %d fields, the header %d", line, len(row), len(header))
		}
		obj := make(object, 0, len(header))
		blank := true
		for i, h := range header {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			blank = blank && strings.TrimSpace(v) == ""
			obj = append(obj, member{Key: h, Val: v})
		}
		if !blank {
			out = append(out, source{obj: obj, at: Position{Line: line}})
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
