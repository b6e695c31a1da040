package httpapi

import (
	"net/http"

	"github.com/oversight-dev/oversight"
)

// routesRegistry registers vendors, products, reviews, countries, end
// users and declarations.
func (s *Server) routesRegistry() {
	s.handle("POST", "/v1/vendors", s.handleCreateVendor)
	s.handle("GET", "/v1/vendors", s.handleVendors)
	s.handle("GET", "/v1/vendors/{id}", s.handleVendor)
	s.handle("PATCH", "/v1/vendors/{id}", s.handleUpdateVendor)
	s.handle("POST", "/v1/products", s.handleCreateProduct)
	s.handle("GET", "/v1/products", s.handleProducts)
	s.handle("GET", "/v1/products/{id}", s.handleProduct)
	s.handle("POST", "/v1/products/{id}/reviews", s.handleSubmitReview)
	s.handle("GET", "/v1/products/{id}/reviews", s.handleReviews)
	s.handle("GET", "/v1/reviews/{id}", s.handleReview)
	s.handle("POST", "/v1/reviews/{id}/decision", s.handleDecideReview)
	s.handle("GET", "/v1/countries", s.handleCountries)
	s.handle("PUT", "/v1/countries/{iso2}", s.handleSetCountry)
	s.handle("POST", "/v1/end-users", s.handleCreateEndUser)
	s.handle("GET", "/v1/end-users", s.handleEndUsers)
	s.handle("GET", "/v1/end-users/{id}", s.handleEndUser)
	s.handle("PATCH", "/v1/end-users/{id}", s.handleUpdateEndUser)
	s.handle("GET", "/v1/declaration-templates", s.handleTemplates)
	s.handle("POST", "/v1/declarations:text", s.handleDeclarationText)
	s.handle("POST", "/v1/declarations", s.handleRecordDeclaration)
	s.handle("GET", "/v1/declarations", s.handleDeclarations)
	s.handle("GET", "/v1/declarations/{id}", s.handleDeclaration)
}

// handleCreateVendor serves POST /v1/vendors.
func (s *Server) handleCreateVendor(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var v oversight.Vendor
	if err := decode(r, &v); err != nil {
		return err
	}
	out, err := s.svc.CreateVendor(r.Context(), p, &v)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleVendors serves GET /v1/vendors.
func (s *Server) handleVendors(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.Vendors(r.Context(), p, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleVendor serves GET /v1/vendors/{id}.
func (s *Server) handleVendor(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Vendor(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleUpdateVendor serves PATCH /v1/vendors/{id}.
func (s *Server) handleUpdateVendor(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var u oversight.VendorUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	out, err := s.svc.UpdateVendor(r.Context(), p, r.PathValue("id"), &u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleCreateProduct serves POST /v1/products.
func (s *Server) handleCreateProduct(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var pr oversight.Product
	if err := decode(r, &pr); err != nil {
		return err
	}
	out, err := s.svc.CreateProduct(r.Context(), p, &pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleProducts serves GET /v1/products.
func (s *Server) handleProducts(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.Products(r.Context(), p, oversight.ProductFilter{
		VendorID: r.URL.Query().Get("vendor_id"), Stage: oversight.Stage(r.URL.Query().Get("stage"))}, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleProduct serves GET /v1/products/{id}.
func (s *Server) handleProduct(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Product(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleSubmitReview serves POST /v1/products/{id}/reviews.
func (s *Server) handleSubmitReview(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var sub oversight.ReviewSubmission
	if err := decode(r, &sub); err != nil {
		return err
	}
	out, err := s.svc.SubmitReview(r.Context(), p, r.PathValue("id"), &sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleReviews serves GET /v1/products/{id}/reviews.
func (s *Server) handleReviews(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.Reviews(r.Context(), p, oversight.ReviewFilter{ProductID: r.PathValue("id")}, pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleReview serves GET /v1/reviews/{id}.
func (s *Server) handleReview(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Review(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDecideReview serves POST /v1/reviews/{id}/decision.
func (s *Server) handleDecideReview(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var d oversight.ReviewDecisionRequest
	if err := decode(r, &d); err != nil {
		return err
	}
	out, err := s.svc.DecideReview(r.Context(), p, r.PathValue("id"), &d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleCountries serves GET /v1/countries.
func (s *Server) handleCountries(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Countries(r.Context(), p, oversight.Tier(r.URL.Query().Get("tier")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// handleSetCountry serves PUT /v1/countries/{iso2}.
func (s *Server) handleSetCountry(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var u oversight.CountryUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	out, err := s.svc.SetCountry(r.Context(), p, r.PathValue("iso2"), &u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleCreateEndUser serves POST /v1/end-users.
func (s *Server) handleCreateEndUser(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var e oversight.EndUser
	if err := decode(r, &e); err != nil {
		return err
	}
	out, err := s.svc.CreateEndUser(r.Context(), p, &e)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleEndUsers serves GET /v1/end-users.
func (s *Server) handleEndUsers(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.EndUsers(r.Context(), p, r.URL.Query().Get("country"), pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleEndUser serves GET /v1/end-users/{id}.
func (s *Server) handleEndUser(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.EndUser(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleUpdateEndUser serves PATCH /v1/end-users/{id}.
func (s *Server) handleUpdateEndUser(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var u oversight.EndUserUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	out, err := s.svc.UpdateEndUser(r.Context(), p, r.PathValue("id"), &u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleTemplates serves GET /v1/declaration-templates.
func (s *Server) handleTemplates(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Templates(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// handleDeclarationText serves POST /v1/declarations:text.
func (s *Server) handleDeclarationText(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var sub oversight.DeclarationSubmission
	if err := decode(r, &sub); err != nil {
		return err
	}
	text, err := s.svc.DeclarationText(r.Context(), p, &sub)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = w.Write(text)
	return err
}

// handleRecordDeclaration serves POST /v1/declarations.
func (s *Server) handleRecordDeclaration(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	var sub oversight.DeclarationSubmission
	if err := decode(r, &sub); err != nil {
		return err
	}
	out, err := s.svc.RecordDeclaration(r.Context(), p, &sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// handleDeclarations serves GET /v1/declarations.
func (s *Server) handleDeclarations(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	out, err := s.svc.Declarations(r.Context(), p, r.URL.Query().Get("end_user_id"), pg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDeclaration serves GET /v1/declarations/{id}.
func (s *Server) handleDeclaration(w http.ResponseWriter, r *http.Request, p *oversight.Principal) error {
	out, err := s.svc.Declaration(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
