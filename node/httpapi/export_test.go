package httpapi

// HoldQuerySlots takes n query slots until release is called, so that
// tests can reach the concurrent query limit without a slow contract.
func (s *Server) HoldQuerySlots(n int) (release func()) {
	for range n {
		s.queries <- struct{}{}
	}
	return func() {
		for range n {
			<-s.queries
		}
	}
}
