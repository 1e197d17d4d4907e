package pypitest

// STUB: replaced by the upload/read-side implementation.

import "net/http"

type coreOptions struct{}

func defaultCoreOptions() coreOptions { return coreOptions{} }

func (s *Server) initCore() error                  { return nil }
func (s *Server) registerCore(mux *http.ServeMux)  {}
func (s *Server) wrap(h http.Handler) http.Handler { return h }
func (s *Server) closeCore()                       {}
