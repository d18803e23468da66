package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/api"
)

// The registry endpoints read the participant registry at the latest
// block. Every response carries the height read: each record is a key of
// the registry contract, provable with GET /v1/contracts/{registry}/state
// at that height (sdk/api lists the keys).

// registryLatest opens the registry at the latest committed block.
func (s *Server) registryLatest() (registry.Reader, *block.SignedHeader, error) {
	h := s.deps.Ledger.Latest().Header.Height
	r, hdr, err := s.deps.Ledger.RegistryAt(h)
	if err != nil {
		return nil, nil, fmt.Errorf("registry at %d: %w", h, err)
	}
	return r, hdr, nil
}

func (s *Server) handleOrgs(c echo.Context) error {
	r, hdr, err := s.registryLatest()
	if err != nil {
		return err
	}
	orgs, err := registry.Orgs(r)
	if err != nil {
		return fmt.Errorf("list orgs: %w", err)
	}
	out := api.Orgs{Height: hdr.Header.Height, Orgs: make([]api.Org, len(orgs))}
	for i, o := range orgs {
		out.Orgs[i] = toOrg(o)
	}
	return c.JSON(http.StatusOK, out)
}

// maxOrgIDLen bounds an organisation id in a path: longer ids are refused
// before any read.
const maxOrgIDLen = 64

func (s *Server) handleOrg(c echo.Context) error {
	// The router leaves a path with an escaped "/" escaped.
	id, err := url.PathUnescape(c.Param("id"))
	// An id holding "/" would name another key of the registry's namespace.
	if err != nil || id == "" || len(id) > maxOrgIDLen || strings.ContainsFunc(id, func(r rune) bool { return r == '/' || r < 0x21 || r > 0x7e }) {
		return fmt.Errorf("%w: id: want 1..%d printable ASCII characters without /, got %q", ErrBadRequest, maxOrgIDLen, id)
	}
	r, hdr, err := s.registryLatest()
	if err != nil {
		return err
	}
	org, err := registry.LookupOrg(r, id)
	if err != nil {
		return fmt.Errorf("org %q: %w", id, err)
	}
	members, err := registry.OrgMembers(r, id)
	if err != nil {
		return fmt.Errorf("members of org %q: %w", id, err)
	}
	out := api.OrgDetail{Height: hdr.Header.Height, Org: toOrg(org), Members: make([]api.Member, len(members))}
	for i, m := range members {
		out.Members[i] = toMember(m)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleMember(c echo.Context) error {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return err
	}
	r, hdr, err := s.registryLatest()
	if err != nil {
		return err
	}
	m, err := registry.LookupMember(r, addr)
	if err != nil {
		return fmt.Errorf("member %s: %w", addr, err)
	}
	return c.JSON(http.StatusOK, api.MemberDetail{Height: hdr.Header.Height, Member: toMember(m)})
}

func (s *Server) handleProposals(c echo.Context) error {
	status := c.QueryParam(api.ParamStatus)
	if status != "" && !slices.Contains(api.ProposalStatuses, status) {
		return fmt.Errorf("%w: %s: want one of %s, got %q", ErrBadRequest, api.ParamStatus, strings.Join(api.ProposalStatuses, ", "), status)
	}
	limit := api.DefaultProposalsLimit
	if ls := c.QueryParam(api.ParamLimit); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: %s: want a positive integer, got %q", ErrBadLimit, api.ParamLimit, ls)
		}
		limit = min(n, api.MaxProposalsLimit)
	}
	var after uint64
	if cs := c.QueryParam(api.ParamCursor); cs != "" {
		// Cursors are the last id of the previous page, in decimal.
		n, err := strconv.ParseUint(cs, 10, 64)
		if err != nil || strconv.FormatUint(n, 10) != cs {
			return fmt.Errorf("%w: %q", ErrBadCursor, cs)
		}
		after = n
	}
	r, hdr, err := s.registryLatest()
	if err != nil {
		return err
	}
	// Statuses are as of the block's time, not the node's clock: every
	// node answers the same at the same height.
	ps, err := registry.Proposals(r, status, after, limit+1, hdr.Header.TimeMs)
	if err != nil {
		return fmt.Errorf("list proposals: %w", err)
	}
	out := api.Proposals{Height: hdr.Header.Height, Proposals: make([]api.Proposal, 0, min(len(ps), limit))}
	for i, p := range ps {
		if i == limit {
			out.NextCursor = strconv.FormatUint(ps[i-1].ID, 10)
			break
		}
		out.Proposals = append(out.Proposals, toProposal(p))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleProposal(c echo.Context) error {
	id, err := parseUint("id", c.Param("id"))
	if err != nil {
		return err
	}
	r, hdr, err := s.registryLatest()
	if err != nil {
		return err
	}
	p, err := registry.LookupProposal(r, id, hdr.Header.TimeMs)
	if err != nil {
		return fmt.Errorf("proposal %d: %w", id, err)
	}
	return c.JSON(http.StatusOK, api.ProposalDetail{Height: hdr.Header.Height, Proposal: toProposal(p)})
}

func (s *Server) handlePolicy(c echo.Context) error {
	r, hdr, err := s.registryLatest()
	if err != nil {
		return err
	}
	p, err := registry.LookupPolicy(r)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return c.JSON(http.StatusOK, api.PolicyDetail{Height: hdr.Header.Height, Policy: api.Policy{
		Threshold: p.Threshold, DeployPolicy: p.DeployPolicy, ProposalTTLMs: p.ProposalTTLMs, AllowNonMembers: p.AllowNonMembers,
		RequireManifest: p.RequireManifest,
	}})
}

func toOrg(o *registry.Org) api.Org {
	return api.Org{ID: o.ID, Name: o.Name, Nodes: nonNilAddrs(o.Nodes), Admins: nonNilAddrs(o.Admins), AddedHeight: o.AddedHeight}
}

func toMember(m *registry.Member) api.Member {
	return api.Member{Address: m.Address, Org: m.Org, Roles: nonNilStrings(m.Roles)}
}

func toProposal(p *registry.Proposal) api.Proposal {
	return api.Proposal{
		ID: p.ID, Kind: p.Kind, Params: p.Params, Proposer: p.Proposer, ProposerOrg: p.ProposerOrg,
		Height: p.Height, CreatedMs: p.CreatedMs, ExpiresMs: p.ExpiresMs,
		Approvals: nonNilStrings(p.Approvals), Rejections: nonNilStrings(p.Rejections),
		Status: p.Status, DecidedHeight: p.DecidedHeight,
	}
}

// nonNilStrings and nonNilAddrs make empty lists encode as [] rather than
// null.
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilAddrs(a []common.Address) []common.Address {
	if a == nil {
		return []common.Address{}
	}
	return a
}
