// Package lists reads designation lists into []oversight.Designation: the
// project's own JSON lines format and the OFAC SDN legacy CSV (sdn.csv with
// alt.csv and sdn_comments.csv beside it).
//
// Readers are all or nothing: a malformed file is rejected with the file
// name and line number of the first problem, before any designation is
// handed to the caller, so that an import never loads half a list. Each
// designation read from a public list carries a Source id such as
// "ofac-sdn:36216", by which importing the same list again updates the
// designations in place instead of duplicating them. Readers report
// progress through a callback so that a command can draw a progress bar.
package lists
