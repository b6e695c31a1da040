package httpapi

import (
	"errors"
	"net/http"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/reqsign"
)

// signedFunc is a handler for requests a deployment signs: it gets the
// deployment, what the signature established (its digest, for refusing a
// replay in the same transaction as the effect) and the raw body.
type signedFunc func(w http.ResponseWriter, r *http.Request, d *oversight.Deployment, sig *oversight.SignedRequest, body []byte) error

// SignatureWindow is how far a signed request's time may be from the
// server's clock.
const SignatureWindow = reqsign.DefaultWindow

// handleSigned registers a route for deployment-signed requests. An
// unknown or retired deployment, a bad signature or a stale time is 401.
func (s *Server) handleSigned(method, pattern string, h signedFunc) {
	s.route(method, pattern, false, s.maxBody, func(w http.ResponseWriter, r *http.Request) error {
		id, err := reqsign.Parse(r.Header)
		if err != nil {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "%v", err)
		}
		if !oversight.ValidID(oversight.PrefixDeployment, id) {
			return oversight.Errorf(oversight.EUNAUTHORIZED, "Oversight-Deployment is not a deployment id")
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		d, key, err := s.svc.DeploymentKey(r.Context(), id)
		if err != nil {
			return err
		}
		sig, err := reqsign.Verify(r, body, key, s.svc.Now(), SignatureWindow)
		if err != nil {
			if errors.Is(err, reqsign.ErrStale) {
				return oversight.Errorf(oversight.EUNAUTHORIZED, "%v; check the deployment's clock", err)
			}
			return oversight.Errorf(oversight.EUNAUTHORIZED, "%v", err)
		}
		// Counted once the signature verifies, so that nobody can spend a
		// deployment's allowance by sending requests in its name.
		if err := s.deploymentLimits.Allow(w, d.ID); err != nil {
			return err
		}
		return h(w, r, d, sig, body)
	})
	s.routes[len(s.routes)-1].Signed = true
}

// routesDeployments registers deployments.
func (s *Server) routesDeployments() {
	s.handle("POST", "/v1/deployments", s.handleRegisterDeployment)
	s.handle("GET", "/v1/deployments", s.handleDeployments)
	s.handle("POST", "/v1/deployments/{id}/retire", s.handleRetireDeployment)
	s.handle("GET", "/v1/deployments/{id}", s.handleDeployment)
	s.handle("PATCH", "/v1/deployments/{id}", s.handleUpdateDeployment)
}

// handleRegisterDeployment serves POST /v1/deployments.
func (s *Server) handleRegisterDeployment(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var reg oversight.DeploymentRegistration
	if err := decode(r, &reg); err != nil {
		return err
	}
	out, err := s.svc.RegisterDeployment(r.Context(), p, &reg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleDeployments serves GET /v1/deployments.
func (s *Server) handleDeployments(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.Deployments(r.Context(), p, r.URL.Query().Get("license"), pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleRetireDeployment serves POST /v1/deployments/{id}/retire.
func (s *Server) handleRetireDeployment(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var in oversight.RetireRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.svc.RetireDeployment(r.Context(), p, r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDeployment serves GET /v1/deployments/{id}.
func (s *Server) handleDeployment(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Deployment(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleUpdateDeployment serves PATCH /v1/deployments/{id}.
func (s *Server) handleUpdateDeployment(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var u oversight.DeploymentUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	out, err := s.svc.UpdateDeployment(r.Context(), p, r.PathValue("id"), &u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
