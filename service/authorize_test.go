package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/policy"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/service/servicetest"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// useWorld is a service over a fresh store with what per-use decisions
// need: officials, a vendor with an export-ready product, an agency with a
// signed declaration, an active export licence with a deployment, and a
// second active licence of another agency with a deployment of its own.
type useWorld struct {
	t        testing.TB
	ctx      context.Context
	svc      *service.Service
	st       *store.Store
	clock    *testClock
	admin    *oversight.Principal
	defense  *oversight.Principal
	defense2 *oversight.Principal
	foreign  *oversight.Principal
	vendor   *oversight.Principal
	agency   *oversight.Principal
	agency2  *oversight.Principal
	lic      *oversight.License // the agency's active export licence
	lic2     *oversight.License // the second agency's
	dep      *oversight.Deployment
	dep2     *oversight.Deployment
	nonces   atomic.Int64
	world    *servicetest.World
}

// testClock is the service's clock, movable by tests.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

type useOptions struct {
	maxActive      int
	permitLifetime time.Duration
}

func newUseWorld(t testing.TB, st *store.Store, o useOptions) *useWorld {
	t.Helper()
	if o.maxActive == 0 {
		o.maxActive = 10
	}
	ctx := context.Background()
	clock := &testClock{}
	svc, err := service.New(t.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler), Now: clock.now, PermitLifetime: o.permitLifetime})
	if err != nil {
		t.Fatal(err)
	}
	w := &useWorld{t: t, ctx: ctx, svc: svc, st: st, clock: clock}
	world, err := servicetest.NewWorld(ctx, svc, servicetest.Options{Scope: ptr(servicetest.Scope(o.maxActive))})
	w.check(err)
	w.world = world
	w.admin, w.defense, w.foreign, w.vendor = world.Admin, world.Defense, world.Foreign, world.VendorStaff
	w.defense2 = w.token(oversight.Principal{Role: oversight.RoleDefense, Name: "Dov Defense"})
	w.lic, w.dep, w.agency = world.License, world.Deployment, world.Agency
	second := world.LicenseAgency("NO", "National Criminal Investigation Service", w.lic.Scope)
	w.check(world.Err())
	w.lic2, w.dep2, w.agency2 = second.License, second.Deployment, second.Agency
	return w
}

func ptr[T any](v T) *T { return &v }

func (w *useWorld) check(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *useWorld) token(p oversight.Principal) *oversight.Principal {
	w.t.Helper()
	tok, _ := w.world.Token(p)
	w.check(w.world.Err())
	return tok
}

// licensed has another agency of country licensed for p, with a
// deployment.
func (w *useWorld) licensed(p *oversight.Product, country, agency string, scope oversight.Scope) (*oversight.License, *oversight.EndUser, *oversight.Deployment) {
	w.t.Helper()
	world := *w.world
	world.Product, world.VendorStaff = p, w.vendor
	l := world.LicenseAgency(country, agency, scope)
	w.check(world.Err())
	return l.License, l.EndUser, l.Deployment
}

// nonce returns what the signature of a fresh request of d establishes.
func (w *useWorld) nonce(d *oversight.Deployment) *oversight.SignedRequest {
	return &oversight.SignedRequest{Deployment: d.ID, Time: time.Now().Truncate(time.Second),
		Digest: sha256.Sum256(fmt.Appendf(nil, "request %d %s", w.nonces.Add(1), w.t.Name()))}
}

// target returns the keyed hash of an invented identifier.
func target(s string) string {
	sum := sha256.Sum256([]byte("target:" + s))
	return hex.EncodeToString(sum[:])
}

// request is a well-formed request of d that IL-2021 permits (IL2021-3).
func request(d *oversight.Deployment) *oversight.OperationRequest {
	years := 10
	return &oversight.OperationRequest{
		DeploymentID: d.ID, Operation: oversight.OpIntercept,
		Target: oversight.Target{IDHash: target("+33 6 12 34 56 78"), CountryCode: "+33"},
		LegalBasis: oversight.LegalBasis{Category: oversight.CategorySeriousCrime, Offense: "armed robbery",
			Statute: "Code pénal art. 311-8", MaxSentenceYears: &years},
		CaseRef: "DGSI-2026-0412", WarrantRef: "JLD-2026-118",
		Justification: "surveillance of the gang's logistics ahead of a planned robbery",
	}
}

func (w *useWorld) authorize(d *oversight.Deployment, r *oversight.OperationRequest) *oversight.Decision {
	w.t.Helper()
	dec, err := w.svc.Authorize(w.ctx, d, w.nonce(d), r)
	w.check(err)
	return dec
}

func codes(rs []oversight.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
	}
	return out
}

// event reads the audit-log event at index i.
func (w *useWorld) event(i int64) *oversight.Event {
	w.t.Helper()
	var ev *oversight.Event
	w.check(w.st.View(w.ctx, func(tx *store.Tx) (err error) { ev, err = tx.Event(i); return err }))
	return ev
}

func TestAuthorizePermit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		r := request(w.dep)
		r.Target.IDHash = strings.ToUpper(r.Target.IDHash)
		before := time.Now()
		dec := w.authorize(w.dep, r)
		if dec.Decision != oversight.Permit || !slices.Equal(codes(dec.Reasons), []string{"IL2021-3"}) {
			t.Fatalf("decision %+v, want a permit citing IL2021-3", dec)
		}
		if !strings.HasPrefix(dec.OperationID, oversight.PrefixOperation) || dec.LogIndex == nil {
			t.Fatalf("decision %+v lacks operation_id or log_index", dec)
		}
		if dec.ExpiresAt == nil || dec.ExpiresAt.Before(before.Add(policy.DefaultPermitLifetime-time.Second)) ||
			dec.ExpiresAt.After(time.Now().Add(policy.DefaultPermitLifetime)) {
			t.Errorf("expires_at %v, want about %v from now", dec.ExpiresAt, policy.DefaultPermitLifetime)
		}
		op, err := w.svc.Operation(w.ctx, w.defense, dec.OperationID)
		w.check(err)
		if op.LicenseID != w.lic.ID || op.DeploymentID != w.dep.ID || op.Decision != oversight.Permit || op.LogIndex != *dec.LogIndex ||
			op.Target.IDHash != strings.ToLower(r.Target.IDHash) || op.PolicyVersion != w.lic.PolicyVersion {
			t.Errorf("stored operation %+v does not match the decision %+v", op, dec)
		}
		if c, err := oversight.OperationCommitment(op); err != nil || c != op.Commitment {
			t.Errorf("commitment %s does not recompute (%s, %v)", op.Commitment, c, err)
		}

		// The public log has the decision and a commitment, not the
		// target, its country, the references or the justification.
		ev := w.event(*dec.LogIndex)
		if ev.Type != oversight.EventOperationDecided || ev.Subject != op.ID || ev.Actor != w.dep.ID {
			t.Fatalf("event %+v, want operation.decided of %s by %s", ev, op.ID, w.dep.ID)
		}
		payload := string(ev.Payload)
		for _, secret := range []string{strings.ToLower(r.Target.IDHash), r.Target.IDHash, "+33", r.CaseRef, r.WarrantRef, r.Justification, "armed robbery", op.Salt} {
			if strings.Contains(payload, secret) {
				t.Errorf("the public log shows %q: %s", secret, payload)
			}
		}
		var pub oversight.OperationDecided
		w.check(json.Unmarshal(ev.Payload, &pub))
		if pub.OperationID != op.ID || pub.LicenseID != w.lic.ID || pub.Decision != oversight.Permit ||
			!slices.Equal(pub.Codes, []string{"IL2021-3"}) || pub.Commitment != op.Commitment || pub.ExpiresAt == nil {
			t.Errorf("public payload %+v does not describe the decision", pub)
		}
	})
}

func TestAuthorizeDenyReasons(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		r := request(w.dep)
		r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryOther, Offense: "insulting the head of state",
			Conduct: []string{"criticism_of_state"}}
		r.Target.CountryCode = "+1"
		r.Grounds = []string{"political_affiliation"}
		r.WarrantRef = " "
		dec := w.authorize(w.dep, r)
		if dec.Decision != oversight.Deny {
			t.Fatalf("decision %+v, want deny", dec)
		}
		got := codes(dec.Reasons)
		for _, want := range []string{"IL2021-1", "IL2021-4", "IL2021-5", "IL2021-7", "SCOPE-PURPOSE", "SCOPE-COUNTRY"} {
			if !slices.Contains(got, want) {
				t.Errorf("reasons %v lack %s", got, want)
			}
		}
		if dec.ExpiresAt != nil {
			t.Errorf("a deny has expires_at %v", dec.ExpiresAt)
		}
		ops, err := w.svc.Operations(w.ctx, w.foreign, oversight.OperationFilter{LicenseID: w.lic.ID, Decision: oversight.Deny}, oversight.Page{})
		w.check(err)
		if len(ops.Items) != 1 || ops.Items[0].ID != dec.OperationID || !slices.Equal(codes(ops.Items[0].Reasons), got) {
			t.Errorf("denied operations %+v, want the one decided", ops.Items)
		}
	})
}

// Forty requests at once against a quota of ten: exactly ten permits.
func TestAuthorizeQuotaConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{maxActive: 10})
		const n = 40
		var (
			wg      sync.WaitGroup
			permits atomic.Int64
			quota   atomic.Int64
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := request(w.dep)
				r.Target.IDHash = target(fmt.Sprint("quota ", i))
				dec, err := w.svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), r)
				if err != nil {
					t.Error(err)
					return
				}
				switch {
				case dec.Decision == oversight.Permit:
					permits.Add(1)
				case slices.Equal(codes(dec.Reasons), []string{"SCOPE-QUOTA"}):
					quota.Add(1)
				default:
					t.Errorf("unexpected decision %+v", dec)
				}
			}()
		}
		wg.Wait()
		if permits.Load() != 10 || quota.Load() != n-10 {
			t.Fatalf("%d permits and %d quota denials, want 10 and %d", permits.Load(), quota.Load(), n-10)
		}
		// The other licence's quota is its own.
		if dec := w.authorize(w.dep2, request(w.dep2)); dec.Decision != oversight.Permit {
			t.Errorf("the second licence is denied: %+v", dec)
		}
		w.check(st.Update(w.ctx, func(tx *store.Tx) error {
			fast, err := tx.ActivePermits(w.lic.ID, time.Now())
			if err != nil {
				return err
			}
			slow, err := tx.CountActivePermits(w.lic.ID, time.Now())
			if fast != 10 || slow != 10 {
				t.Errorf("active permits %d (counted %d), want 10", fast, slow)
			}
			return err
		}))
	})
}

// Permits stop counting toward the quota when they expire.
func TestAuthorizeQuotaExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{maxActive: 3, permitLifetime: time.Minute})
		decide := func() *oversight.Decision {
			r := request(w.dep)
			r.Target.IDHash = target(fmt.Sprint(w.nonces.Load()))
			return w.authorize(w.dep, r)
		}
		for range 3 {
			if d := decide(); d.Decision != oversight.Permit {
				t.Fatalf("decision %+v, want permit", d)
			}
		}
		if d := decide(); !slices.Equal(codes(d.Reasons), []string{"SCOPE-QUOTA"}) {
			t.Fatalf("fourth decision %+v, want a SCOPE-QUOTA deny", d)
		}
		w.clock.advance(30 * time.Second)
		if d := decide(); d.Decision != oversight.Deny {
			t.Fatalf("after 30 s %+v, want still denied", d)
		}
		w.clock.advance(31 * time.Second)
		for i := range 3 {
			if d := decide(); d.Decision != oversight.Permit {
				t.Fatalf("after expiry, decision %d: %+v, want permit", i, d)
			}
		}
		if d := decide(); d.Decision != oversight.Deny {
			t.Fatalf("quota full again, got %+v", d)
		}
		w.check(st.Update(w.ctx, func(tx *store.Tx) error {
			now := w.clock.now()
			fast, err := tx.ActivePermits(w.lic.ID, now)
			if err != nil {
				return err
			}
			slow, err := tx.CountActivePermits(w.lic.ID, now)
			if fast != 3 || slow != 3 {
				t.Errorf("active permits %d (counted %d), want 3", fast, slow)
			}
			return err
		}))
	})
}

func TestAuthorizeProtected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		r := request(w.dep)
		pp, added, err := w.svc.AddProtected(w.ctx, w.foreign, &oversight.ProtectedRegistration{IDHash: strings.ToUpper(r.Target.IDHash), Category: oversight.ProtectedJournalist})
		w.check(err)
		if !added || pp.IDHash != r.Target.IDHash {
			t.Fatalf("added %v, %+v", added, pp)
		}
		dec := w.authorize(w.dep, r)
		if dec.Decision != oversight.Deny || !slices.Contains(codes(dec.Reasons), policy.CodeProtected) {
			t.Fatalf("decision %+v, want a deny citing %s", dec, policy.CodeProtected)
		}
		op, err := w.svc.Operation(w.ctx, w.admin, dec.OperationID)
		w.check(err)
		if op.MisuseCaseID == "" {
			t.Fatal("the operation names no misuse case")
		}
		c, err := w.svc.Case(w.ctx, w.defense, op.MisuseCaseID)
		w.check(err)
		if c.Source != oversight.SourceRule || c.Rule != policy.CodeProtected || c.LicenseID != w.lic.ID ||
			!slices.Equal(c.OperationIDs, []string{op.ID}) || c.Status != oversight.CaseOpen ||
			len(c.Evidence) != 1 || c.Evidence[0].Ref != op.ID || !strings.Contains(c.Evidence[0].Description, "journalist") {
			t.Errorf("case %+v does not name the licence and the operation", c)
		}
		ev := w.event(c.LogIndex)
		if ev.Type != oversight.EventCaseOpened || ev.Subject != c.ID || c.LogIndex != op.LogIndex+1 {
			t.Errorf("case event %+v at %d (operation at %d)", ev, c.LogIndex, op.LogIndex)
		}
		if strings.Contains(string(ev.Payload), "journalist") || strings.Contains(string(ev.Payload), r.Target.IDHash) {
			t.Errorf("the public log shows the protected person: %s", ev.Payload)
		}
		cases, err := w.svc.Cases(w.ctx, w.foreign, oversight.CaseFilter{LicenseID: w.lic.ID, Source: oversight.SourceRule}, oversight.Page{})
		w.check(err)
		if len(cases.Items) != 1 || cases.Items[0].ID != c.ID {
			t.Errorf("cases %+v, want the one opened", cases.Items)
		}
		// A second request against a protected person gathers into the
		// licence's open case of the rule: the decision names it.
		again := w.authorize(w.dep, request(w.dep))
		op2, err := w.svc.Operation(w.ctx, w.admin, again.OperationID)
		w.check(err)
		c2, err := w.svc.Case(w.ctx, w.defense, c.ID)
		w.check(err)
		if op2.MisuseCaseID != c.ID || !slices.Equal(c2.OperationIDs, []string{op.ID, op2.ID}) || len(c2.Evidence) != 2 || c2.Hits != 2 {
			t.Errorf("second hit: operation names %s, case %+v", op2.MisuseCaseID, c2)
		}
		if ev := w.event(op2.LogIndex + 1); ev.Type != oversight.EventCaseUpdated || ev.Subject != c.ID {
			t.Errorf("second hit's case event %+v", ev)
		}
		// The same person under another licence is protected too, in a case
		// of that licence; a person not on the register is not.
		d2 := w.authorize(w.dep2, request(w.dep2))
		if d2.Decision != oversight.Deny {
			t.Errorf("other licence: %+v, want deny", d2)
		} else if op3, err := w.svc.Operation(w.ctx, w.admin, d2.OperationID); err != nil || op3.MisuseCaseID == c.ID || op3.MisuseCaseID == "" {
			t.Errorf("other licence's case %q (%v)", op3.MisuseCaseID, err)
		}
		r.Target.IDHash = target("someone else")
		if d := w.authorize(w.dep, r); d.Decision != oversight.Permit {
			t.Errorf("unprotected target: %+v, want permit", d)
		}
	})
}

func TestAuthorizeLicenseStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		if d := w.authorize(w.dep, request(w.dep)); d.Decision != oversight.Permit {
			t.Fatalf("active licence: %+v", d)
		}
		// A restriction is a rule of the very next decision.
		a, err := w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionRestrict, Reason: "terrorism only",
			Restriction: &oversight.Restriction{Purposes: []oversight.Category{oversight.CategoryTerrorism}}})
		w.check(err)
		if d := w.authorize(w.dep, request(w.dep)); d.Decision != oversight.Deny || !slices.Contains(codes(d.Reasons), "RESTRICT-"+a.ID) {
			t.Fatalf("restricted licence: %+v, want RESTRICT-%s", d, a.ID)
		}
		_, err = w.svc.RequestAction(w.ctx, w.defense, w.lic.ID, &oversight.ActionRequest{Kind: oversight.ActionSuspend, Reason: "under investigation"})
		w.check(err)
		if d := w.authorize(w.dep, request(w.dep)); d.Decision != oversight.Deny || !slices.Contains(codes(d.Reasons), "SCOPE-STATUS") {
			t.Fatalf("suspended licence: %+v, want SCOPE-STATUS", d)
		}
		a, err = w.svc.RequestAction(w.ctx, w.defense2, w.lic2.ID, &oversight.ActionRequest{Kind: oversight.ActionRevoke, Reason: "misuse confirmed"})
		w.check(err)
		_, err = w.svc.ApproveAction(w.ctx, w.foreign, a.ID, &oversight.ActionApprovalRequest{Decision: "approve"})
		w.check(err)
		if d := w.authorize(w.dep2, request(w.dep2)); d.Decision != oversight.Deny || !slices.Contains(codes(d.Reasons), "SCOPE-STATUS") {
			t.Fatalf("revoked licence: %+v, want SCOPE-STATUS", d)
		}
	})
}

func TestAuthorizeReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		nonce := w.nonce(w.dep)
		if _, err := w.svc.Authorize(w.ctx, w.dep, nonce, request(w.dep)); err != nil {
			t.Fatal(err)
		}
		_, err := w.svc.Authorize(w.ctx, w.dep, nonce, request(w.dep))
		if oversight.ErrorCode(err) != oversight.EUNAUTHORIZED || !strings.Contains(err.Error(), "replayed") {
			t.Fatalf("replay: %v, want unauthorized", err)
		}
		ops, err := w.svc.Operations(w.ctx, w.defense, oversight.OperationFilter{LicenseID: w.lic.ID}, oversight.Page{})
		w.check(err)
		if len(ops.Items) != 1 {
			t.Errorf("%d operations stored, want 1", len(ops.Items))
		}
	})
}

func TestAuthorizeRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newUseWorld(t, st, useOptions{})
		// A deployment asking in the name of another licence's deployment.
		_, err := w.svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), request(w.dep2))
		if oversight.ErrorCode(err) != oversight.EFORBIDDEN {
			t.Errorf("request for another deployment: %v, want forbidden", err)
		}
		// A malformed request names its field and stores nothing.
		r := request(w.dep)
		r.LegalBasis.MaxSentenceYears = nil
		_, err = w.svc.Authorize(w.ctx, w.dep, w.nonce(w.dep), r)
		var de *oversight.Error
		if oversight.ErrorCode(err) != oversight.EINVALID || !errors.As(err, &de) || de.Fields[0].Field != "legal_basis.max_sentence_years" {
			t.Errorf("malformed request: %v, want invalid legal_basis.max_sentence_years", err)
		}
		for _, l := range []string{w.lic.ID, w.lic2.ID} {
			ops, err := w.svc.Operations(w.ctx, w.admin, oversight.OperationFilter{LicenseID: l}, oversight.Page{})
			w.check(err)
			if len(ops.Items) != 0 {
				t.Errorf("licence %s has %d operations, want none", l, len(ops.Items))
			}
		}
	})
}

// The commitment's canonical JSON is RFC 8785's, whatever the text.
func TestCommitmentCanonical(t *testing.T) {
	years := 7
	texts := []string{"", "plain", "quote \" and \\ backslash", "<html> & co", "line\nbreak\ttab\rcr", "\b\f\x00\x1f\x7f",
		"ligne de séparation \u2028 et \u2029", `literal \u2028`, "émoji 🛰️ and CJK 监视", "invalid \xff\xfe utf-8", "\u00e9\u0301"}
	for i, text := range texts {
		c := oversight.OperationCommitted{
			Target:     oversight.Target{IDHash: target(text), CountryCode: "+33"},
			LegalBasis: oversight.LegalBasis{Category: oversight.CategorySeriousCrime, Offense: text, Statute: text, MaxSentenceYears: &years, Conduct: []string{"armed_violence"}},
			Grounds:    []string{}, CaseRef: text, WarrantRef: "W-" + text, Justification: text,
		}
		if i%2 == 1 {
			c.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryTerrorism, Act: "other"}
			c.Grounds = []string{"religion"}
		}
		op := &oversight.OperationRecord{ID: "op_1", Salt: "00112233445566778899aabbccddeeff", Target: c.Target, LegalBasis: c.LegalBasis,
			Grounds: c.Grounds, CaseRef: c.CaseRef, WarrantRef: c.WarrantRef, Justification: c.Justification}
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		salt, _ := hex.DecodeString(op.Salt)
		sum := sha256.Sum256(append(salt, want...))
		got, err := oversight.OperationCommitment(op)
		if err != nil || got != hex.EncodeToString(sum[:]) {
			t.Errorf("text %q: commitment %s, want %s over %s", text, got, hex.EncodeToString(sum[:]), want)
		}
	}
}

// One clock stamps a change and its event: with the service's clock three
// hours ahead of the machine's, a decision's event carries the decision's
// time, and an officer's change its record's, not the machine's time.
func TestEventsTakeTheServiceClock(t *testing.T) {
	w := newUseWorld(t, storetest.Open(t, "sqlite"), useOptions{})
	w.clock.advance(3 * time.Hour)
	dec := w.authorize(w.dep, request(w.dep))
	op, err := w.svc.Operation(w.ctx, w.defense, dec.OperationID)
	w.check(err)
	ev := w.event(*dec.LogIndex)
	if !ev.Time.Equal(op.DecidedAt) || ev.Time.Before(time.Now().Add(2*time.Hour)) {
		t.Errorf("operation.decided at %v, decision at %v: want both on the service's clock, 3 h ahead", ev.Time, op.DecidedAt)
	}
	c, err := w.svc.SetCountry(w.ctx, w.defense, "DE", &oversight.CountryUpdate{Tier: oversight.TierRestricted})
	w.check(err)
	if ev := w.event(c.LogIndex); !ev.Time.Equal(*c.UpdatedAt) {
		t.Errorf("country.updated at %v, the country's updated_at %v: want the same time", ev.Time, *c.UpdatedAt)
	}
}

// A decision evaluated before the writer's transaction, with the facts of
// the deployment's previous decision, is kept only when the transaction's
// facts agree: a target put on the register and a quota reached since the
// previous decision are seen by the next one.
func TestAuthorizeEarlyDecisionRechecked(t *testing.T) {
	w := newUseWorld(t, storetest.Open(t, "sqlite"), useOptions{maxActive: 2})
	first := request(w.dep)
	if dec := w.authorize(w.dep, first); dec.Decision != oversight.Permit {
		t.Fatalf("first decision %+v, want a permit", dec)
	}
	r := request(w.dep)
	r.Target.IDHash = target("journalist")
	_, _, err := w.svc.AddProtected(w.ctx, w.foreign, &oversight.ProtectedRegistration{IDHash: r.Target.IDHash, Category: oversight.ProtectedJournalist})
	w.check(err)
	if dec := w.authorize(w.dep, r); dec.Decision != oversight.Deny || !slices.Contains(codes(dec.Reasons), policy.CodeProtected) {
		t.Fatalf("decision on a protected target %+v, want a deny citing %s", dec, policy.CodeProtected)
	}
	if dec := w.authorize(w.dep, request(w.dep)); dec.Decision != oversight.Permit {
		t.Fatalf("second permit %+v", dec)
	}
	dec := w.authorize(w.dep, request(w.dep))
	if dec.Decision != oversight.Deny || !slices.Equal(codes(dec.Reasons), []string{policy.CodeQuota}) ||
		!strings.Contains(dec.Reasons[0].Message, "holds 2 unexpired permits") {
		t.Fatalf("decision beyond the quota %+v, want a deny citing %s with the count", dec, policy.CodeQuota)
	}
}
