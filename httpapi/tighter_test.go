package httpapi_test

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/httpapi"
)

// Vendors see only the declarations their licences are under; agencies
// only their own.
func TestDeclarationsVisibility(t *testing.T) {
	e := newEnv(t)
	e.world()
	dec := e.ids["declaration"]
	// A second agency's declaration, under no licence of either vendor.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	var eu2 id
	e.must("foreign_affairs", "POST", "/v1/end-users", map[string]any{"country": "FR", "agency": "Other Directorate", "kind": "intelligence",
		"signing_key": oversight.EncodeKey(pub)}, 201, &eu2)
	e.keys[eu2.ID] = priv
	other := e.declare(eu2.ID)

	ids := func(label string) []string {
		var list oversight.List[oversight.Declaration]
		e.must(label, "GET", "/v1/declarations", nil, 200, &list)
		var out []string
		for _, d := range list.Items {
			out = append(out, d.ID)
		}
		return out
	}
	if got := ids("vendor"); !slices.Equal(got, []string{dec}) {
		t.Errorf("the vendor lists %v, want only %s, the declaration its licences are under", got, dec)
	}
	if got := ids("vendor_b"); len(got) != 0 {
		t.Errorf("a vendor without licences lists %v", got)
	}
	if got := ids("defense"); !slices.Contains(got, dec) || !slices.Contains(got, other) {
		t.Errorf("an officer lists %v", got)
	}
	e.must("vendor", "GET", "/v1/declarations/"+dec, nil, 200, nil)
	e.must("vendor", "GET", "/v1/declarations/"+other, nil, 404, nil)
	e.must("vendor_b", "GET", "/v1/declarations/"+dec, nil, 404, nil)
	e.must("end_user", "GET", "/v1/declarations/"+other, nil, 404, nil)
	var list oversight.List[oversight.Declaration]
	e.must("vendor", "GET", "/v1/declarations?end_user_id="+eu2.ID, nil, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("the vendor lists another agency's declarations: %+v", list.Items)
	}
}

// Inputs refused with a 400 naming the field: an impossible or future
// signing date for the text to sign, a licence starting in the past or
// running past its declaration's term or the template's, purposes listed
// twice, and NaN as a batch's min_score.
func TestTighterInputs(t *testing.T) {
	e := newEnv(t)
	e.world()
	ids := e.ids
	refused := func(what string, code int, b []byte, field string) {
		t.Helper()
		refusal(t, what, code, b, field)
	}
	text := func(signedOn string) (int, []byte) {
		return e.call("foreign_affairs", "POST", "/v1/declarations:text", map[string]any{"template": "IL-2021", "end_user_id": ids["end_user"],
			"signatory": map[string]string{"name": "n", "title": "t"}, "signed_on": signedOn})
	}
	for _, d := range []string{"2026-02-30", "yesterday", "", time.Now().AddDate(0, 0, 3).Format(time.DateOnly)} {
		code, b := text(d)
		refused("text signed on "+d, code, b, "signed_on")
	}
	if code, b := text(time.Now().Format(time.DateOnly)); code != 200 {
		t.Errorf("text signed today: %d %s", code, b)
	}
	code, b := e.call("foreign_affairs", "POST", "/v1/declarations:text", map[string]any{"template": "IL-2021", "end_user_id": ids["end_user"],
		"signatory": map[string]string{"name": "", "title": "t"}, "signed_on": "2026-01-15"})
	refused("text without a signatory's name", code, b, "signatory.name")

	apply := func(mutate func(s *oversight.Scope)) (int, []byte) {
		s := scope()
		mutate(&s)
		return e.call("vendor", "POST", "/v1/licenses", map[string]any{"kind": "export", "product_id": ids["product"], "end_user_id": ids["end_user"],
			"declaration_id": ids["declaration"], "scope": s})
	}
	now := time.Now().UTC().Truncate(time.Second)
	code, b = apply(func(s *oversight.Scope) { s.ValidFrom = now.Add(-time.Hour) })
	refused("a licence starting an hour ago", code, b, "scope.valid_from")
	code, b = apply(func(s *oversight.Scope) { s.ValidUntil = s.ValidFrom.AddDate(0, 37, 0) })
	refused("a licence of 37 months", code, b, "scope.valid_until")
	code, b = apply(func(s *oversight.Scope) { s.Purposes = []oversight.Category{"terrorism", "serious_crime", "terrorism"} })
	refused("terrorism twice", code, b, "scope.purposes[2]")
	code, b = apply(func(s *oversight.Scope) { s.Operations = []oversight.Operation{"locate", "locate"} })
	refused("locate twice", code, b, "scope.operations[1]")
	if code, b := apply(func(s *oversight.Scope) { s.ValidFrom = now.Add(-time.Minute) }); code != 201 {
		t.Errorf("a licence starting a minute ago (clock skew): %d %s", code, b)
	}

	// A declaration signed long ago covers licences to the end of its
	// term only: 36 months from its signing under IL-2021.
	old := e.declaration(ids["end_user"])
	old["signed_on"] = now.AddDate(-3, 0, 7).Format(time.DateOnly)
	ctext, ct := e.call("foreign_affairs", "POST", "/v1/declarations:text", map[string]any{"template": "IL-2021", "end_user_id": ids["end_user"],
		"signatory": old["signatory"], "signed_on": old["signed_on"]})
	if ctext != 200 {
		t.Fatalf("text: %d %s", ctext, ct)
	}
	sum := sha256.Sum256(ct)
	old["text_sha256"] = hex.EncodeToString(sum[:])
	old["signature"] = oversight.EncodeKey(ed25519.Sign(e.keys[ids["end_user"]], ct))
	var od oversight.Declaration
	e.must("foreign_affairs", "POST", "/v1/declarations", old, 201, &od)
	if want := oversight.DeclarationValidUntil(od.SignedOn, nil); !od.ValidUntil.Equal(want) || od.ValidUntil.After(now.AddDate(0, 0, 8)) {
		t.Errorf("declaration signed on %s valid until %s", od.SignedOn, od.ValidUntil)
	}
	code, b = e.call("vendor", "POST", "/v1/licenses", map[string]any{"kind": "export", "product_id": ids["product"], "end_user_id": ids["end_user"],
		"declaration_id": od.ID, "scope": scope()})
	refused("a licence past its declaration's term", code, b, "scope.valid_until")

	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/screen:batch?min_score=NaN", strings.NewReader("name\nX\n"))
	req.Header.Set("Authorization", "Bearer "+e.tokens["consular"])
	req.Header.Set("Content-Type", "text/csv")
	code, b = e.send(req)
	refused("min_score=NaN", code, b, "min_score")
	code, b = e.call("consular", "POST", "/v1/screen", `{"name": "X", "min_score": 1e309}`)
	if code != 400 {
		t.Errorf("min_score 1e309: %d %s", code, b)
	}
}

// A screening batch has a deadline for the whole request: a client that
// sends a row and then nothing more is answered for that row, told where
// the batch stopped, and let go, and the screening is recorded.
func TestScreenBatchDeadline(t *testing.T) {
	e := newEnv(t)
	logger := slog.New(slog.DiscardHandler)
	api := httpapi.New(e.svc, httpapi.Options{Logger: logger, TokenLimit: noLimit, BatchTimeout: 500 * time.Millisecond})
	srv := httptest.NewServer(api)
	defer srv.Close()

	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/screen:batch", pr)
	req.Header.Set("Authorization", "Bearer "+e.tokens["consular"])
	req.Header.Set("Content-Type", "text/csv")
	go io.WriteString(pw, "name\nAnna Example\n") // and then nothing, never closed
	start := time.Now()
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var lines []oversight.BatchLine
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		var l oversight.BatchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	took := time.Since(start)
	if len(lines) != 2 || lines[0].Row != 1 || lines[0].Error != "" || !strings.Contains(lines[1].Error, "time limit") {
		t.Fatalf("lines %+v", lines)
	}
	if took > 15*time.Second {
		t.Errorf("the batch held the connection for %s", took)
	}
	var rec oversight.ScreeningRecord
	e.must("admin", "GET", "/v1/screenings/"+res.Header.Get("Oversight-Screening-Id"), nil, 200, &rec)
	if !rec.Verified || rec.Rows != 1 {
		t.Errorf("screening record %+v", rec)
	}
}
