package demo

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reqsign"
)

// site is a deployment of an export licence at the agency's site, with the
// key its agent signs requests with and the pepper it hashes targets with.
// The demo keeps both, since it plays the agent.
type site struct {
	dep     *oversight.Deployment
	key     ed25519.PrivateKey
	pepper  []byte
	country string // the target country code most of its uses are about
	ref     string // the prefix of its case references
	n       int    // requests made, numbering case references and targets
}

// use is one kind of operation request a site makes in the demo.
type use int

const (
	useTerrorism    use = iota // permitted: a terrorist act the declaration names
	useSeriousCrime            // permitted: a crime of ten years or more
	useBlocked                 // denied: a target country code the scope blocks
	useOutOfScope              // denied: a purpose the licence does not cover
	useCriticism               // denied: criticism of the state cited as conduct
	useProtected               // denied: a person on the protected-persons register
	useNoWarrant               // denied: no legal approval
	useMinorCrime              // denied: a crime below the declaration's threshold
)

// deployment has the vendor register a deployment of licence l with a
// fresh key, as a site would; the demo keeps the key and the site's pepper
// to make the site's requests.
func (d *builder) deployment(l *oversight.License, label, country, ref string) *site {
	if d.err != nil || l == nil {
		return nil
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	s := &site{key: key, pepper: make([]byte, 32), country: country, ref: ref}
	rand.Read(s.pepper)
	d.call(func() error {
		r, err := d.svc.RegisterDeployment(d.ctx, d.vendors[l.VendorID], &oversight.DeploymentRegistration{
			LicenseID: l.ID, Label: label, PublicKey: oversight.EncodeKey(pub)})
		if err == nil {
			s.dep = &r.Deployment
		}
		return err
	})
	return s
}

// target is the keyed hash of a fictional identifier, as the site's agent
// sends it: the raw identifier never reaches the regulator.
func (s *site) target(identifier string) string {
	m := hmac.New(sha256.New, s.pepper)
	m.Write([]byte(identifier))
	return hex.EncodeToString(m.Sum(nil))
}

// uses has site s ask for the given numbers of uses of each kind, in an
// order shuffled with seed, so that denials fall among the permits as
// they would. The protected target, if any, is the one protected uses aim at.
func (d *builder) uses(s *site, seed uint64, counts map[use]int, protected string) {
	var plan []use
	for k := useTerrorism; k <= useMinorCrime; k++ {
		for range counts[k] {
			plan = append(plan, k)
		}
	}
	r := mrand.New(mrand.NewPCG(seed, seed))
	r.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	for _, k := range plan {
		d.ask(s, s.request(k, protected))
	}
}

// request builds the site's next request of kind k.
func (s *site) request(k use, protected string) *oversight.OperationRequest {
	s.n++
	years := 12
	ops := oversight.Operations
	r := &oversight.OperationRequest{
		DeploymentID: s.dep.ID, Operation: ops[s.n%len(ops)],
		// Some targets come back, as an investigation's do.
		Target: oversight.Target{IDHash: s.target(fmt.Sprintf("%s target %d", s.ref, s.n%17)), CountryCode: s.country},
		LegalBasis: oversight.LegalBasis{Category: oversight.CategorySeriousCrime, Offense: "armed robbery by an organised gang",
			Statute: "Criminal Code s. 311 (demo)", MaxSentenceYears: &years, Conduct: []string{"armed_violence"}},
		CaseRef: fmt.Sprintf("%s-%04d", s.ref, 100+s.n), WarrantRef: fmt.Sprintf("W-%s-%04d", s.ref, 500+s.n),
		Justification: "surveillance of the suspects' logistics ahead of a planned attack (demo)",
	}
	acts := []string{"attack_on_life", "kidnapping", "hostage_taking", "intimidation_of_population"}
	switch k {
	case useTerrorism:
		r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryTerrorism, Act: acts[s.n%len(acts)],
			Offense: "preparation of a terrorist act", Statute: "Counter-Terrorism Act s. 4 (demo)", MaxSentenceYears: &years, Conduct: []string{"armed_violence"}}
	case useBlocked:
		r.Target.CountryCode = "+972"
	case useOutOfScope:
		r.LegalBasis = oversight.LegalBasis{Category: oversight.CategoryOther, Offense: "tax evasion", Statute: "Tax Code s. 1741 (demo)"}
	case useCriticism:
		r.LegalBasis.Offense, r.LegalBasis.Conduct = "insulting state institutions", []string{"criticism_of_state"}
		r.Justification = "the target's articles criticise the government (demo)"
	case useProtected:
		r.Target.IDHash = protected
	case useNoWarrant:
		r.WarrantRef = ""
	case useMinorCrime:
		three := 3
		r.LegalBasis.Offense, r.LegalBasis.MaxSentenceYears = "petty theft", &three
	}
	return r
}

// ask has the site's agent ask for r as it would over POST /v1/authorize:
// the request is signed with the deployment's key, its signature verified
// with the key the regulator holds, and the body decoded and decided by
// the service, which records the decision in the log.
func (d *builder) ask(s *site, r *oversight.OperationRequest) {
	if s == nil || s.dep == nil {
		return
	}
	d.call(func() error {
		body, err := json.Marshal(r)
		if err != nil {
			return err
		}
		req, err := reqsign.NewRequest("POST", "/v1/authorize", body, s.dep.ID, s.key, d.svc.Now())
		if err != nil {
			return err
		}
		dep, key, err := d.svc.DeploymentKey(d.ctx, s.dep.ID)
		if err != nil {
			return err
		}
		sig, err := reqsign.Verify(req, body, key, d.svc.Now(), reqsign.DefaultWindow)
		if err != nil {
			return err
		}
		var got oversight.OperationRequest
		if err := oversight.DecodeJSON(body, &got); err != nil {
			return err
		}
		_, err = d.svc.Authorize(d.ctx, dep, sig, &got)
		return err
	})
}
