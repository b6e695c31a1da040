package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/oversight-dev/oversight"
)

// Changing a vendor or an agency (issue 16 point 4), from the form on its
// page, for the roles that register them. The service screens what the
// change makes new; the page then shows the record as changed, and the
// licence pages any match that holds an approval.

// vendorUpdate changes a vendor: its name, country and address as the
// form gives them, the persons ticked for removal, and the person of the
// form's add block, if filled in. The form carries the log index the page
// was rendered with, so that a change made meanwhile is refused, not
// overwritten.
func (s *Server) vendorUpdate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	var pr oversight.Problems
	u := &oversight.VendorUpdate{Name: formText(r, "name"), Country: formText(r, "country"), Address: formText(r, "address"),
		RemovePersons: r.PostForm["remove_persons"], LogIndex: formLogIndex(r, &pr)}
	if per, ok := formPerson(r, "add", &pr); ok {
		u.AddPersons = []oversight.Person{per}
	}
	err := pr.Err("invalid vendor update")
	var v *oversight.Vendor
	if err == nil {
		v, err = s.svc.UpdateVendor(r.Context(), r.p, r.PathValue("id"), u)
	}
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, changeField) {
			return s.renderVendor(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/vendors/"+v.ID, changed(u.LogIndex, v.LogIndex, "Vendor changed; what the change added was screened."))
}

// endUserUpdate changes an agency: its name, kind and signing key as the
// form gives them, from the version the page was rendered with.
func (s *Server) endUserUpdate(w http.ResponseWriter, r *request) error {
	if err := r.ParseForm(); err != nil {
		return oversight.Errorf(oversight.EINVALID, "The form could not be read.")
	}
	var pr oversight.Problems
	u := &oversight.EndUserUpdate{Agency: formText(r, "agency"), SigningKey: formText(r, "signing_key"), LogIndex: formLogIndex(r, &pr)}
	if k := r.PostFormValue("kind"); k != "" {
		kind := oversight.EndUserKind(k)
		u.Kind = &kind
	}
	err := pr.Err("invalid end user update")
	var e *oversight.EndUser
	if err == nil {
		e, err = s.svc.UpdateEndUser(r.Context(), r.p, r.PathValue("id"), u)
	}
	if err != nil {
		pg := &page{Form: r.PostForm}
		if formError(pg, err, nil) {
			return s.renderEndUser(w, r, pg, oversight.NewProblem(err).Status)
		}
		return err
	}
	return redirect(w, r.Request, "/end-users/"+e.ID, changed(u.LogIndex, e.LogIndex, "Agency changed."))
}

// formText returns the trimmed value of a field the form sent, or nil if
// it did not send it: a field left out changes nothing.
func formText(r *request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := strings.TrimSpace(r.PostFormValue(name))
	return &v
}

// formLogIndex reads the log index the form was rendered with, if it sent
// one.
func formLogIndex(r *request, pr *oversight.Problems) *int64 {
	v := r.PostFormValue("log_index")
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		pr.Add("log_index", "the form was damaged: reload the page")
		return nil
	}
	return &n
}

// changeField names the form field next to which a refusal of a vendor
// change shows: the add block's fields, the removal boxes.
func changeField(f string) string {
	switch {
	case f == "add_persons":
		return "add.share" // the shares add up to more than 100%
	case strings.HasPrefix(f, "add_persons[0]."):
		return relativeField("add." + strings.TrimPrefix(f, "add_persons[0]."))
	case strings.HasPrefix(f, "remove_persons"):
		return "remove_persons"
	}
	return f
}

// changed is the confirmation after a change: done, or that nothing
// changed when the record kept the log index the form was rendered with.
func changed(read *int64, now int64, done string) string {
	if read != nil && *read == now {
		return "Nothing changed."
	}
	return done
}
