package report

import (
	"encoding/json"
	"reflect"
	"testing"
)

var decodeCases = []string{
	`{"index":7,"type":"operation.decided","subject":"op_1","time":"2026-03-01T10:00:00.123456Z","actor":"dep_x","payload":{"license_id":"lic_fr","decision":"deny","codes":["IL2021-4","IL2021-7"],"nested":{"a":[1,{"b":"]}"}]},"commitment":"00"}}`,
	`{"index":0,"type":"license.applied","subject":"lic_1","time":"2026-01-02T00:00:00Z","payload":{"country":"FR","status":"applied"}}`,
	` { "index" : 3 , "type" : "case.updated" , "payload" : { "status" : "closed" , "designations_linked" : [ "des_1" , "des_2" ] } } `,
	`{"index":4,"type":"license.status","payload":{"from":"applied","to":"active","to":"denied"}}`,
	`{"Index":5,"TYPE":"designation.listed","payload":{"Basis":"misuse","basis":"sanctions_list"}}`,
	`{"index":6,"type":"case.opened","subject":"case_\u00e9\"x","payload":{"source":"a\\b\nc","license_id":null,"codes":null}}`,
	`{"index":8,"type":"operation.decided","payload":{"codes":[],"decision":"permit","extra":[true,false,null,-1.5e3]}}`,
	`{"index":9,"type":"action.executed","time":null,"payload":null}`,
	`{"index":10,"type":"x.unknown","payload":{"kind":"restrict","country":"Ünï"}}`,
	`{"index":11,"type":"case.opened","subject":"a\\","payload":{"source":"b\\\"c\\\\","x":"\\\\\"","status":"\"\\"}}`,
	`{}`,
}

// decodeEntry and decodePayload read what encoding/json reads from the
// same bytes, so that the report is the same whoever computes it.
func TestDecodeAsEncodingJSON(t *testing.T) {
	for _, c := range decodeCases {
		checkDecode(t, []byte(c))
	}
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	var want entry
	if err := json.Unmarshal(data, &want); err != nil {
		return // the fast reader may skip what it does not read
	}
	// With the values that repeat kept (as the Builder reads), or not.
	m := strs{}
	for _, m := range []strs{nil, m, m} {
		checkDecodeWith(t, data, want, m)
	}
}

func checkDecodeWith(t *testing.T, data []byte, want entry, m strs) {
	t.Helper()
	var got entry
	if err := decodeEntry(data, &got, m); err != nil {
		t.Fatalf("%s: %v; encoding/json reads it", data, err)
	}
	if got.Index != want.Index || got.Type != want.Type || got.Subject != want.Subject || !got.Time.Equal(want.Time) || string(got.Payload) != string(want.Payload) {
		t.Fatalf("%s:\n got  %+v\n want %+v", data, got, want)
	}
	var wp, gp payload
	werr := json.Unmarshal(want.Payload, &wp)
	gerr := decodePayload(got.Payload, &gp, m)
	if werr != nil {
		return
	}
	if gerr != nil {
		t.Fatalf("%s: payload: %v; encoding/json reads it", data, gerr)
	}
	// The report reads only the length of an empty list.
	for _, p := range []*payload{&gp, &wp} {
		if len(p.Codes) == 0 {
			p.Codes = nil
		}
		if len(p.Linked) == 0 {
			p.Linked = nil
		}
	}
	if !reflect.DeepEqual(gp, wp) {
		t.Fatalf("%s: payload\n got  %#v\n want %#v", data, gp, wp)
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data) })
}
