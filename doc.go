// Package oversight holds the domain of Oversight, the system an exporting
// state uses to supervise commercial cyber-intrusion tools over their whole
// life: vendors and their products, development-stage reviews, countries and
// end-user agencies, signed end-user declarations, licences and their
// approvals, deployments, operations and their decisions, misuse cases,
// enforcement actions and visa designations.
//
// The package holds types, states, the transitions between them, validation
// and the domain error type. It does no I/O: persistence lives in package
// store, HTTP in package httpapi, and the use cases that tie them together in
// package service.
package oversight
