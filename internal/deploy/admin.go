package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"mlw.dev/internal/mlw"
)

// maxAdminBody bounds an admin request body.
const maxAdminBody = 64 << 10

// DeployBody is the JSON body of POST /v1/admin/deployments/{endpoint}.
type DeployBody struct {
	Model           string  `json:"model"`
	Strategy        string  `json:"strategy"`
	Weights         []int   `json:"weights,omitempty"`
	StickyHeader    string  `json:"sticky_header,omitempty"`
	StickyField     string  `json:"sticky_field,omitempty"`
	Steps           []int   `json:"steps,omitempty"`
	Interval        string  `json:"interval,omitempty"`
	MaxErrorRate    float64 `json:"max_error_rate,omitempty"`
	MaxP99Ms        float64 `json:"max_p99_ms,omitempty"`
	MaxShift        float64 `json:"max_shift,omitempty"`
	MaxAccuracyDrop float64 `json:"max_accuracy_drop,omitempty"`
	MinRequests     int     `json:"min_requests,omitempty"`
	Reason          string  `json:"reason"`
}

// ChangeBody is the JSON body of the promote, rollback and undeploy calls.
type ChangeBody struct {
	Variant string `json:"variant,omitempty"`
	Reason  string `json:"reason"`
}

// Admin returns the admin API (mounted by the server at /v1/admin/ behind
// its admin token):
//
//	GET  /v1/admin/deployments                       latest revision of every endpoint
//	GET  /v1/admin/deployments/{endpoint}            status: revision, spec, revisions
//	POST /v1/admin/deployments/{endpoint}            deploy (DeployBody)
//	POST /v1/admin/deployments/{endpoint}/promote    (ChangeBody)
//	POST /v1/admin/deployments/{endpoint}/rollback   (ChangeBody)
//	POST /v1/admin/deployments/{endpoint}/undeploy   (ChangeBody)
//
// changed, when set, is called after every change (to sync the server at
// once instead of at its next poll).
func Admin(s *Service, changed func()) http.Handler {
	a := &admin{s: s, changed: changed}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/admin/deployments", a.list)
	mux.HandleFunc("GET /v1/admin/deployments/{endpoint}", a.status)
	mux.HandleFunc("POST /v1/admin/deployments/{endpoint}", a.deploy)
	mux.HandleFunc("POST /v1/admin/deployments/{endpoint}/{op}", a.change)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAdminError(w, mlw.Errorf(mlw.ENOTFOUND, "no admin route %s %s", r.Method, r.URL.Path))
	})
	return mux
}

type admin struct {
	s       *Service
	changed func()
}

func (a *admin) list(w http.ResponseWriter, r *http.Request) {
	list, err := a.s.List(r.Context())
	if err != nil {
		writeAdminError(w, err)
		return
	}
	writeAdminJSON(w, http.StatusOK, map[string]any{"deployments": list})
}

func (a *admin) status(w http.ResponseWriter, r *http.Request) {
	st, err := a.s.Status(r.Context(), r.PathValue("endpoint"))
	if err != nil {
		writeAdminError(w, err)
		return
	}
	writeAdminJSON(w, http.StatusOK, st)
}

func (a *admin) deploy(w http.ResponseWriter, r *http.Request) {
	var b DeployBody
	if err := decodeAdmin(w, r, &b); err != nil {
		writeAdminError(w, err)
		return
	}
	req := Request{
		Endpoint: r.PathValue("endpoint"), Model: b.Model, Strategy: b.Strategy, Weights: b.Weights,
		StickyHeader: b.StickyHeader, StickyField: b.StickyField, Steps: b.Steps,
		MaxErrorRate: b.MaxErrorRate, MaxP99Ms: b.MaxP99Ms, MaxShift: b.MaxShift, MaxAccuracyDrop: b.MaxAccuracyDrop,
		MinRequests: b.MinRequests, Reason: b.Reason,
	}
	if b.Model == "" {
		writeAdminError(w, mlw.Errorf(mlw.EINVALID, "field model: want NAME@N or NAME@alias"))
		return
	}
	if b.Interval != "" {
		d, err := time.ParseDuration(b.Interval)
		if err != nil {
			writeAdminError(w, mlw.Errorf(mlw.EINVALID, "field interval %q: %v", b.Interval, err))
			return
		}
		req.Interval = d
	}
	d, err := a.s.Deploy(r.Context(), req)
	a.done(w, d, err)
}

func (a *admin) change(w http.ResponseWriter, r *http.Request) {
	var b ChangeBody
	if err := decodeAdmin(w, r, &b); err != nil {
		writeAdminError(w, err)
		return
	}
	ep := r.PathValue("endpoint")
	var (
		d   *mlw.Deployment
		err error
	)
	switch r.PathValue("op") {
	case "promote":
		d, err = a.s.Promote(r.Context(), ep, b.Variant, b.Reason)
	case "rollback":
		d, err = a.s.Rollback(r.Context(), ep, b.Reason)
	case "undeploy":
		d, err = a.s.Undeploy(r.Context(), ep, b.Reason)
	default:
		err = mlw.Errorf(mlw.ENOTFOUND, "no admin operation %q: want promote, rollback or undeploy", r.PathValue("op"))
	}
	a.done(w, d, err)
}

func (a *admin) done(w http.ResponseWriter, d *mlw.Deployment, err error) {
	if err != nil {
		writeAdminError(w, err)
		return
	}
	if a.changed != nil {
		a.changed()
	}
	writeAdminJSON(w, http.StatusOK, d)
}

// decodeAdmin reads a bounded JSON body with no unknown fields; an empty
// body is an empty object.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return mlw.Errorf(mlw.EINVALID, "request body is larger than %d bytes", maxAdminBody)
		}
		return mlw.Errorf(mlw.EINVALID, "reading the request body: %v", err)
	}
	if len(data) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return mlw.Errorf(mlw.EINVALID, "request body: %v", err)
	}
	if dec.More() {
		return mlw.Errorf(mlw.EINVALID, "request body: more than one JSON value")
	}
	return nil
}

func writeAdminJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeAdminError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch mlw.ErrorCode(err) {
	case mlw.EINVALID:
		code = http.StatusBadRequest
	case mlw.ENOTFOUND:
		code = http.StatusNotFound
	case mlw.ECONFLICT:
		code = http.StatusConflict
	case mlw.EUNAVAILABLE:
		code = http.StatusServiceUnavailable
	}
	writeAdminJSON(w, code, map[string]string{"error": mlw.ErrorMessage(err), "code": mlw.ErrorCode(err)})
}
