package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

// paths gives each route pattern of the console a path to try it on, with
// the world's ids. A route missing here fails the tests that walk the
// route table: a new route cannot be left out of them.
func (w *world) paths() map[string]string {
	return map[string]string{
		"/":                                    "/no-such-page",
		"/{$}":                                 "/",
		"/signin":                              "/signin",
		"/signin/options":                      "/signin/options",
		"/enrol/{secret}":                      "/enrol/ovl_not-a-link",
		"/enrol/{secret}/options":              "/enrol/ovl_not-a-link/options",
		"/link/{secret}":                       "/link/ovl_not-a-link",
		"/demo":                                "/demo",
		"/demo/{user}":                         "/demo/usr_nobody",
		"/signout":                             "/signout",
		"/stepup/options":                      "/stepup/options",
		"/account":                             "/account",
		"/account/passkeys/options":            "/account/passkeys/options",
		"/account/passkeys":                    "/account/passkeys",
		"/users":                               "/users",
		"/licenses":                            "/licenses",
		"/licenses/new":                        "/licenses/new",
		"/licenses/{id}":                       "/licenses/" + w.lic.ID,
		"/licenses/{id}/decision":              "/licenses/" + w.ids["applied"] + "/decision",
		"/licenses/{id}/party-matches/{match}": "/licenses/" + w.ids["applied"] + "/party-matches/" + w.ids["party_match"],
		"/licenses/{id}/actions/new":           "/licenses/" + w.lic.ID + "/actions/new",
		"/licenses/{id}/actions":               "/licenses/" + w.lic.ID + "/actions",
		"/actions":                             "/actions",
		"/actions/{id}":                        "/actions/" + w.ids["action"],
		"/actions/{id}/decision":               "/actions/" + w.ids["pending"] + "/decision",
		"/products":                            "/products",
		"/products/new":                        "/products/new",
		"/products/{id}":                       "/products/" + w.lic.ProductID,
		"/products/{id}/reviews":               "/products/" + w.lic.ProductID + "/reviews",
		"/reviews/{id}/decision":               "/reviews/" + w.ids["review"] + "/decision",
		"/vendors":                             "/vendors",
		"/vendors/new":                         "/vendors/new",
		"/vendors/{id}":                        "/vendors/" + w.lic.VendorID,
		"/countries":                           "/countries",
		"/countries/{iso2}":                    "/countries/DE",
		"/end-users":                           "/end-users",
		"/end-users/{id}":                      "/end-users/" + w.lic.EndUserID,
		"/declarations":                        "/declarations",
		"/declarations/new":                    "/declarations/new",
		"/declarations/{id}":                   "/declarations/" + w.ids["declaration"],
		"/deployments":                         "/deployments",
		"/deployments/new":                     "/deployments/new",
		"/deployments/{id}":                    "/deployments/" + w.dep.ID,
		"/deployments/{id}/live":               "/deployments/" + w.dep.ID + "/live",
		"/decisions":                           "/decisions",
		"/decisions/live":                      "/decisions/live?license=" + w.lic.ID,
		"/decisions/{id}":                      "/decisions/" + w.ids["operation"],
		"/cases":                               "/cases",
		"/cases/new":                           "/cases/new",
		"/cases/{id}":                          "/cases/" + w.ids["case"],
		"/cases/{id}/actions":                  "/cases/" + w.ids["case"] + "/actions",
		"/cases/{id}/designations":             "/cases/" + w.ids["case"] + "/designations",
		"/protected":                           "/protected",
		"/protected/import":                    "/protected/import",
		"/designations":                        "/designations",
		"/designations/new":                    "/designations/new",
		"/designations/{id}":                   "/designations/" + w.ids["designation"],
		"/designations/{id}/delist":            "/designations/" + w.ids["designation"] + "/delist",
		"/screen":                              "/screen",
		"/screen/batch":                        "/screen/batch",
		"/screenings":                          "/screenings",
		"/screenings/{id}":                     "/screenings/" + w.ids["screening"],
		"/transparency":                        "/transparency",
		"/transparency/charts/{file}":          "/transparency/charts/uses.svg",
		"/transparency/log":                    "/transparency/log",
		"/transparency/log/{index}":            "/transparency/log/3",
		"/complaint":                           "/complaint",
		"/complaint/status":                    "/complaint/status",
		"/complaints":                          "/complaints",
		"/complaints/{id}":                     "/complaints/" + w.ids["complaint"],
		"/complaints/{id}/triage":              "/complaints/" + w.ids["complaint"] + "/triage",
	}
}

// freshSession signs role's person in again, for a request that ends its
// session (sign-out).
func (w *world) freshSession(t *testing.T, role oversight.Role) {
	t.Helper()
	_, secret, err := w.svc.CreateLink(w.ctx, service.Operator, w.people[role].UserID, oversight.LinkSignIn, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, w.cookies[role], err = w.svc.SignInWithLink(w.ctx, secret); err != nil {
		t.Fatal(err)
	}
}

// noTrace fails if a page shows what only a crash shows.
func noTrace(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	body := rec.Body.String()
	for _, bad := range []string{"goroutine ", "runtime error", "panic:", ".go:", "template: "} {
		if strings.Contains(body, bad) {
			t.Errorf("%s shows %q:\n%s", what, bad, body)
		}
	}
	if rec.Code >= 500 {
		t.Errorf("%s: %d:\n%s", what, rec.Code, body)
	}
}

// Every route of the console's route table, as every role and as nobody.
// The roles the table names get past the console's check, and the service
// agrees: a page is shown (200, or a redirect), a form is taken or refused
// for its content, never for the role. Every other role gets the console's
// refusal (403); nobody signed in is sent to sign in. No answer is a 5xx.
func TestRoutesEveryRole(t *testing.T) {
	w := newWorld(t)
	paths := w.paths()
	routes := w.console.Routes()
	if len(routes) < 60 {
		t.Fatalf("the console has %d routes; Routes() lost some", len(routes))
	}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		path, ok := paths[rt.Pattern]
		if !ok {
			t.Errorf("%s: the test has no path for this route; add one to world.paths", key)
			continue
		}
		for _, role := range oversight.Roles {
			rec := w.do(role, rt.Method, path, url.Values{})
			if key == "POST /signout" {
				w.freshSession(t, role) // that session has ended
			}
			what := key + " as " + string(role)
			noTrace(t, what, rec)
			allowed := len(rt.Roles) == 0 || slices.Contains(rt.Roles, role)
			switch {
			case rt.Public:
			case !allowed && rec.Code != http.StatusForbidden:
				t.Errorf("%s: %d, want the console's 403", what, rec.Code)
			case allowed && (rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden):
				t.Errorf("%s: %d: the route table lets this role in, the service does not:\n%s", what, rec.Code, rec.Body)
			case allowed && rt.Method == http.MethodGet && rec.Code != http.StatusOK && rec.Code != http.StatusSeeOther:
				t.Errorf("%s: %d, want the page:\n%s", what, rec.Code, rec.Body)
			case allowed && key != "POST /signout" && rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/signin"):
				t.Errorf("%s: sent to sign in", what)
			}
		}
		if key == "POST /signout" {
			continue
		}
		rec := w.do("", rt.Method, path, url.Values{})
		noTrace(t, key+" as nobody", rec)
		if !rt.Public && (rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/signin")) {
			t.Errorf("%s as nobody: %d to %q, want to be sent to sign in", key, rec.Code, rec.Header().Get("Location"))
		}
	}
}

// badForm is what the bad-input test posts to a route, and the field whose
// message must show next to it, with the value that must be kept.
type badForm struct {
	form      url.Values
	multipart bool
	field     string // "" when the refusal is not about one field
	keep      string // a value the page must give back, "" for none
}

// badForms gives each form of the console bad input.
func (w *world) badForms() map[string]badForm {
	v := func(kv ...string) url.Values {
		out := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	return map[string]badForm{
		"POST /signin/options":                      {form: v()},
		"POST /signin":                              {form: v("credential", "not a passkey", "ceremony", "cer_nope")},
		"POST /enrol/{secret}/options":              {form: v()},
		"POST /enrol/{secret}":                      {form: v("credential", "{}")},
		"POST /demo/{user}":                         {form: v()},
		"POST /link/{secret}":                       {form: v()},
		"POST /signout":                             {form: v("x", "y")},
		"POST /stepup/options":                      {form: v()},
		"POST /account/passkeys/options":            {form: v()},
		"POST /account/passkeys":                    {form: v("credential", "{not json", "ceremony", "cer_nope")},
		"POST /users":                               {form: v("name", "Ünïcode Name", "role", "king"), field: "role", keep: "Ünïcode Name"},
		"POST /licenses":                            {form: v("kind", "export", "valid_days", "many", "blocked", "+1, 44x"), field: "valid_days", keep: "many"},
		"POST /licenses/{id}/decision":              {form: v("decision", "deny", "reason", ""), field: "reason"},
		"POST /licenses/{id}/party-matches/{match}": {form: v("match_decision", "confirm", "match_reason", ""), field: "match_reason"},
		"POST /licenses/{id}/actions":               {form: v("kind", "obliterate", "reason", "because <script>"), field: "kind", keep: "because &lt;script&gt;"},
		"POST /actions/{id}/decision":               {form: v("decision", "maybe"), field: "credential"},
		"POST /products":                            {form: v("name", "", "capabilities", "one_click\nteleport"), field: "capabilities", keep: "teleport"},
		"POST /products/{id}/reviews":               {form: v("stage", "moonshot", "dossier", "dossier kept"), field: "stage", keep: "dossier kept"},
		"POST /reviews/{id}/decision":               {form: v("decision", "shrug")},
		"POST /vendors":                             {form: v("name", "Vendor kept", "country", "Israel", "persons", "1", "persons[0].name", "A", "persons[0].share", "lots"), field: "persons[0].share", keep: "lots"},
		"POST /vendors/{id}":                        {form: v("name", "Vendor kept", "country", "Israel", "add.name", "A", "add.share", "lots"), field: "add.share", keep: "lots"},
		"POST /end-users/{id}":                      {form: v("agency", "Agency kept", "kind", "police", "signing_key", "abc"), field: "signing_key", keep: "Agency kept"},
		"POST /countries/{iso2}":                    {form: v("tier", "friendly", "notes", "n"), field: "tier"},
		"POST /end-users":                           {form: v("country", "FR", "agency", "Agency kept", "kind", "police", "signing_key", "abc"), field: "signing_key", keep: "Agency kept"},
		"POST /declarations":                        {form: v("template", "IL-2021", "end_user_id", w.lic.EndUserID, "signatory_name", "Claire", "signed_on", "31/12/2026", "step", "text"), field: "signed_on", keep: "31/12/2026"},
		"POST /cases":                               {form: v("source", "rumour", "license_id", "lic_nope", "title", ""), field: "title", keep: "lic_nope"},
		"POST /cases/{id}":                          {form: v("status", "lost", "findings", "findings kept"), field: "status", keep: "findings kept"},
		"POST /cases/{id}/actions":                  {form: v("kind", "obliterate", "reason", "reason kept")},
		"POST /cases/{id}/designations":             {form: v("name", "", "birth_date", "yesterday"), field: "birth_date", keep: "yesterday"},
		"POST /protected":                           {form: v("id_hash", "xyz", "category", "celebrity"), field: "id_hash", keep: "xyz"},
		"POST /protected/import":                    {form: v("import_category", "celebrity", "hashes", "nothex"), multipart: true, field: "import_category", keep: "nothex"},
		"POST /designations":                        {form: v("name", "", "basis", "grudge", "birth_date", "31/12/1970"), field: "birth_date", keep: "31/12/1970"},
		"POST /designations/{id}/delist":            {form: v("reason", ""), field: "reason"},
		"POST /screen":                              {form: v("name", "", "birth_date", "someday", "limit", "ten"), field: "birth_date", keep: "someday"},
		"POST /deployments":                         {form: v("license_id", "lic_nope", "label", "", "public_key", "abc"), field: "public_key", keep: "lic_nope"},
		"POST /screen/batch":                        {form: v("names", "surname\nIvan", "format", "csv"), multipart: true, field: "file", keep: "surname"},
		"POST /complaint":                           {form: v("text", "what I know <b>", "country", "Mexico"), field: "country", keep: "what I know &lt;b&gt;"},
		"POST /complaint/status":                    {form: v("receipt", "cmp_nothere", "secret", "ovc_wrong"), field: "secret", keep: "cmp_nothere"},
		"POST /complaints/{id}/triage":              {form: v("action", "dismiss", "note", "", "title", "title kept"), field: "note", keep: "title kept"},
	}
}

// Bad input to every form of the console: refused with a 4xx that says
// what is wrong next to the field, with what was typed kept; never a 5xx
// or a trace. And every page asked with nonsense in its query answers
// without a 5xx.
func TestBadInputEveryForm(t *testing.T) {
	w := newWorld(t)
	paths, bad := w.paths(), w.badForms()
	for _, rt := range w.console.Routes() {
		key := rt.Method + " " + rt.Pattern
		role := oversight.RoleAdmin
		if len(rt.Roles) > 0 {
			role = rt.Roles[0]
		}
		if rt.Method == http.MethodGet {
			q := "?status=zzz&stage=zzz&kind=%00&after=%ff&license=lic_nope&tier=nope&decision=maybe&basis=x&limit=-5&vendor=v&end_user=eu_nope&name=" + strings.Repeat("x", 300)
			rec := w.do(role, "GET", paths[rt.Pattern]+q, nil)
			noTrace(t, key+" with a bad query", rec)
			continue
		}
		b, ok := bad[key]
		if !ok {
			t.Errorf("%s: the test has no bad input for this form; add one to world.badForms", key)
			continue
		}
		var rec *httptest.ResponseRecorder
		if b.multipart {
			rec = w.doMultipart(role, paths[rt.Pattern], b.form)
		} else {
			rec = w.do(role, "POST", paths[rt.Pattern], b.form)
		}
		if key == "POST /signout" {
			w.freshSession(t, role) // that session has ended
		}
		what := key + " as " + string(role)
		noTrace(t, what, rec)
		body := rec.Body.String()
		if b.field != "" {
			if rec.Code < 400 {
				t.Errorf("%s: %d, want bad input refused", what, rec.Code)
			}
			if !strings.Contains(body, `id="e-`+b.field+`"`) {
				t.Errorf("%s: no message next to field %s:\n%s", what, b.field, body)
			}
		}
		if b.keep != "" && !strings.Contains(body, b.keep) {
			t.Errorf("%s: the input %q was not kept:\n%s", what, b.keep, body)
		}
	}
}

// doMultipart posts a multipart form, as a file upload does.
func (w *world) doMultipart(role oversight.Role, path string, form url.Values) *httptest.ResponseRecorder {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	mw.Close()
	r := httptest.NewRequest("POST", w.origin+path, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.AddCookie(&http.Cookie{Name: "oversight-session", Value: w.cookies[role]})
	rec := httptest.NewRecorder()
	w.console.ServeHTTP(rec, r)
	return rec
}

// The licence page shows a blocking party match with why it matched: the
// licensing ministries' officers get the forms to clear or confirm it, an
// admin reads it, the vendor does not see it.
func TestLicensePartyMatch(t *testing.T) {
	w := newWorld(t)
	path := "/licenses/" + w.ids["applied"]
	form := `action="` + path + `/party-matches/` + w.ids["party_match"] + `"`
	for role, want := range map[oversight.Role][]string{
		oversight.RoleDefense:        {"Approval is blocked", "OFAC SDN, programme CYBER2", "KESTREL DYNAMICS LLC", "Why", "exact", form, `value="confirm"`},
		oversight.RoleForeignAffairs: {"Approval is blocked", form},
		oversight.RoleAdmin:          {"Approval is blocked", "OFAC SDN, programme CYBER2"},
	} {
		rec := w.do(role, "GET", path, nil)
		body := rec.Body.String()
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("the licence page as %s does not show %q", role, s)
			}
		}
		if role == oversight.RoleAdmin && strings.Contains(body, form) {
			t.Errorf("an admin is offered the decision on the match")
		}
	}
	if body := w.do(oversight.RoleVendor, "GET", path, nil).Body.String(); strings.Contains(body, "Approval is blocked") || strings.Contains(body, "OFAC") {
		t.Errorf("the vendor sees the screening of its licence")
	}
	// Without a fresh passkey the decision is refused, next to the form,
	// and the match stays open.
	rec := w.do(oversight.RoleDefense, "POST", path+"/party-matches/"+w.ids["party_match"], url.Values{"match_decision": {"clear"}, "match_reason": {"reason kept"}})
	if rec.Code < 400 || !strings.Contains(rec.Body.String(), "reason kept") {
		t.Errorf("a decision without a passkey: %d\n%s", rec.Code, rec.Body)
	}
}
