package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/demo"
	"github.com/oversight-dev/oversight/service"
)

// world is the demo's data and what the demo lacks (a deployment with a
// lease and decisions, a misuse case, a designation, a screening), with a
// person of each role signed in to the console.
type world struct {
	*env
	lic     *oversight.License // the demo's active export licence
	dep     *oversight.Deployment
	depKey  ed25519.PrivateKey
	people  map[oversight.Role]*oversight.Principal
	cookies map[oversight.Role]string // session cookie secrets
	ids     map[string]string         // fixture ids by kind
}

func newWorld(t testing.TB) *world {
	t.Helper()
	e := newEnv(t)
	if _, err := demo.Load(e.ctx, e.svc, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	w := &world{env: e, people: map[oversight.Role]*oversight.Principal{}, cookies: map[oversight.Role]string{}, ids: map[string]string{}}
	admin := e.user(oversight.RoleAdmin, "World Admin")
	ls, err := e.svc.Licenses(e.ctx, admin, oversight.LicenseFilter{Status: oversight.LicenseActive, Kind: oversight.KindExport}, oversight.Page{Limit: 1})
	if err != nil || len(ls.Items) == 0 {
		t.Fatalf("the demo's active export licence: %v", err)
	}
	w.lic = &ls.Items[0]
	w.people[oversight.RoleAdmin] = admin
	w.people[oversight.RoleDefense] = e.user(oversight.RoleDefense, "World Defense")
	w.people[oversight.RoleForeignAffairs] = e.user(oversight.RoleForeignAffairs, "World Foreign")
	w.people[oversight.RoleVendor] = e.user(oversight.RoleVendor, "World Vendor", w.lic.VendorID)
	w.people[oversight.RoleEndUser] = e.user(oversight.RoleEndUser, "World Agency", w.lic.EndUserID)
	w.people[oversight.RoleConsular] = e.user(oversight.RoleConsular, "World Consul")
	for role, p := range w.people {
		_, secret, err := e.svc.CreateLink(e.ctx, service.Operator, p.UserID, oversight.LinkSignIn, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, w.cookies[role], err = e.svc.SignInWithLink(e.ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	def := w.people[oversight.RoleDefense]

	// A deployment of the active licence, with a lease and two decisions.
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	d, err := e.svc.RegisterDeployment(e.ctx, w.people[oversight.RoleVendor], &oversight.DeploymentRegistration{LicenseID: w.lic.ID, Label: "Directorate site", PublicKey: oversight.EncodeKey(pub)})
	if err != nil {
		t.Fatal(err)
	}
	w.dep, w.depKey = &d.Deployment, key
	if _, err := e.svc.IssueLease(e.ctx, w.signed()); err != nil {
		t.Fatal(err)
	}
	var op string
	for _, cat := range []oversight.Category{oversight.CategoryTerrorism, oversight.CategorySeriousCrime} {
		dec, err := e.svc.Authorize(e.ctx, w.dep, w.signed(), w.operation(cat))
		if err != nil {
			t.Fatal(err)
		}
		op = dec.OperationID
	}
	w.ids["operation"] = op

	c, err := e.svc.OpenCase(e.ctx, def, &oversight.CaseRequest{Source: oversight.SourceComplaint, LicenseID: w.lic.ID, Title: "Complaint of a journalist", OperationIDs: []string{op}})
	if err != nil {
		t.Fatal(err)
	}
	// Substantiated, so that its page offers what follows from it.
	findings := "The journalist's phone was targeted under the licence."
	for _, st := range []oversight.CaseStatus{oversight.CaseInvestigating, oversight.CaseSubstantiated} {
		if _, err := e.svc.UpdateCase(e.ctx, def, c.ID, &oversight.CaseUpdate{Status: st, Findings: &findings}); err != nil {
			t.Fatal(err)
		}
	}
	w.ids["case"] = c.ID
	rc, _, err := e.svc.FileComplaint(e.ctx, &oversight.ComplaintRequest{Text: "A complaint of the world", LicenseID: w.lic.ID})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["complaint"] = rc.ID
	des, err := e.svc.CreateDesignation(e.ctx, def, &oversight.DesignationRequest{Identity: oversight.Identity{Name: "Viktor ZAVADSKY", Aliases: []string{"Wiktor Zawadzki"}, BirthDate: "1971", Nationality: "RU"}, Basis: oversight.BasisMisuse, CaseID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["designation"] = des.ID
	scr, err := e.svc.Screen(e.ctx, w.people[oversight.RoleConsular], &oversight.ScreenRequest{Name: "Viktor Zavadski"})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["screening"] = scr.ScreeningID
	as, err := e.svc.Actions(e.ctx, def, w.lic.ID, oversight.Page{Limit: 1})
	if err != nil || len(as.Items) == 0 {
		t.Fatalf("the demo licence's restriction: %v", err)
	}
	w.ids["action"] = as.Items[0].ID
	sus, err := e.svc.Licenses(e.ctx, def, oversight.LicenseFilter{Status: oversight.LicenseSuspended}, oversight.Page{Limit: 1})
	if err != nil || len(sus.Items) == 0 {
		t.Fatalf("the demo's suspended licence: %v", err)
	}
	fa2 := e.user(oversight.RoleForeignAffairs, "World Foreign Two")
	pending, err := e.svc.RequestAction(e.ctx, fa2, sus.Items[0].ID, &oversight.ActionRequest{Kind: oversight.ActionReinstate, Reason: "The forensic report was not confirmed"})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["pending"] = pending.ID
	ap, err := e.svc.Licenses(e.ctx, def, oversight.LicenseFilter{Status: oversight.LicenseApplied, VendorID: w.lic.VendorID}, oversight.Page{Limit: 1})
	if err != nil || len(ap.Items) == 0 {
		t.Fatalf("an applied licence of the vendor: %v", err)
	}
	w.ids["applied"] = ap.Items[0].ID
	// A sanctions list's entity named as the vendor is, with another legal
	// form: its licences' approval is blocked by the match.
	v, err := e.svc.Vendor(e.ctx, def, w.lic.VendorID)
	if err != nil {
		t.Fatal(err)
	}
	listed := strings.Replace(strings.ToUpper(v.Name), " LTD", " LLC", 1) // KESTREL DYNAMICS LLC (DEMO)
	if _, err := e.svc.ImportDesignations(e.ctx, def, &oversight.DesignationImport{Designations: []oversight.Designation{{
		Type: oversight.PartyEntity, Identity: oversight.Identity{Name: listed}, Basis: oversight.BasisSanctionsList, Source: "ofac-sdn:99001", Program: "CYBER2"}}}); err != nil {
		t.Fatal(err)
	}
	pm, err := e.svc.LicenseScreening(e.ctx, def, w.ids["applied"])
	if err != nil || !pm.Blocked {
		t.Fatalf("the applied licence's party matches after listing its vendor: %+v, %v", pm, err)
	}
	w.ids["party_match"] = pm.Matches[0].ID
	rs, err := e.svc.Reviews(e.ctx, def, oversight.ReviewFilter{ProductID: w.lic.ProductID}, oversight.Page{Limit: 1})
	if err != nil || len(rs.Items) == 0 {
		t.Fatalf("a review of the licence's product: %v", err)
	}
	w.ids["review"] = rs.Items[0].ID
	ds, err := e.svc.Declarations(e.ctx, def, w.lic.EndUserID, oversight.Page{Limit: 1})
	if err != nil || len(ds.Items) == 0 {
		t.Fatalf("the agency's declaration: %v", err)
	}
	w.ids["declaration"] = ds.Items[0].ID
	return w
}

var nonces atomic.Int64

// signed is what the signature of a fresh request of the deployment
// establishes.
func (w *world) signed() *oversight.SignedRequest {
	return &oversight.SignedRequest{Deployment: w.dep.ID, Time: time.Now().Truncate(time.Second),
		Digest: sha256.Sum256(fmt.Appendf(nil, "request %d", nonces.Add(1)))}
}

// operation is a well-formed request of the deployment for a purpose.
func (w *world) operation(cat oversight.Category) *oversight.OperationRequest {
	years := 10
	sum := sha256.Sum256(fmt.Appendf(nil, "target %d", nonces.Add(1)))
	r := &oversight.OperationRequest{DeploymentID: w.dep.ID, Operation: oversight.OpLocate,
		Target:     oversight.Target{IDHash: fmt.Sprintf("%x", sum), CountryCode: "+33"},
		LegalBasis: oversight.LegalBasis{Category: cat, Offense: "armed robbery", Statute: "Code pénal art. 311-8", MaxSentenceYears: &years},
		CaseRef:    "DGSI-2026-0412", WarrantRef: "JLD-2026-118", Justification: "a planned attack"}
	if cat == oversight.CategoryTerrorism {
		r.LegalBasis = oversight.LegalBasis{Category: cat, Act: "attack_on_life"}
	}
	return r
}

// do sends a request to the console as role ("" for nobody) and returns
// the answer. A live region's stream is read up to its first event.
func (w *world) do(role oversight.Role, method, path string, form url.Values) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, w.origin+path, body)
	if method == http.MethodPost {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if role != "" {
		r.AddCookie(&http.Cookie{Name: "oversight-session", Value: w.cookies[role]})
	}
	rec := httptest.NewRecorder()
	if strings.HasSuffix(path, "/live") || strings.Contains(path, "/live?") {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		r = r.WithContext(ctx)
		w.console.ServeHTTP(&firstEvent{ResponseRecorder: rec, cancel: cancel}, r)
		return rec
	}
	w.console.ServeHTTP(rec, r)
	return rec
}

// firstEvent ends a live stream at its first flush: the test reads one
// event, the stream would otherwise run for minutes.
type firstEvent struct {
	*httptest.ResponseRecorder
	cancel func()
}

func (f *firstEvent) Flush() {
	f.ResponseRecorder.Flush()
	f.cancel()
}
