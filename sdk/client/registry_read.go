package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
)

// Registry reads. Each answer carries the height it was read at; the same
// records are keys of the registry contract, so State(api.RegistryAddress,
// key, &height) proves any of them.

// Orgs is GET /v1/orgs: every organisation, in id order.
func (c *Client) Orgs(ctx context.Context) (*api.Orgs, error) {
	var o api.Orgs
	return &o, c.get(ctx, api.PathOrgs, nil, &o)
}

// Org is GET /v1/orgs/{id}: an organisation with its members.
func (c *Client) Org(ctx context.Context, id string) (*api.OrgDetail, error) {
	var o api.OrgDetail
	return &o, c.get(ctx, api.PathOrgs+"/"+url.PathEscape(id), nil, &o)
}

// Member is GET /v1/members/{address}. An address that belongs to no
// organisation is an *APIError with Status 404.
func (c *Client) Member(ctx context.Context, addr common.Address) (*api.MemberDetail, error) {
	var m api.MemberDetail
	return &m, c.get(ctx, api.PathMembers+addr.Hex(), nil, &m)
}

// Policy is GET /v1/policy: the network policy.
func (c *Client) Policy(ctx context.Context) (*api.PolicyDetail, error) {
	var p api.PolicyDetail
	return &p, c.get(ctx, api.PathPolicy, nil, &p)
}

// Proposal is GET /v1/proposals/{id}.
func (c *Client) Proposal(ctx context.Context, id uint64) (*api.ProposalDetail, error) {
	var p api.ProposalDetail
	return &p, c.get(ctx, api.PathProposals+"/"+strconv.FormatUint(id, 10), nil, &p)
}

// Proposals iterates over the proposals in id order, only those with
// status when it is not empty (open, executed, rejected, expired),
// following GET /v1/proposals page by page as the loop asks for more (by
// default api.MaxProposalsLimit per page; see PageSize). A failed request
// is yielded as the error of a last item.
func (c *Client) Proposals(ctx context.Context, status string, opts ...PageOption) iter.Seq2[api.Proposal, error] {
	size := pageSize(api.MaxProposalsLimit, opts)
	return paged(func(cursor string) ([]api.Proposal, string, error) {
		q := pageQuery(cursor, size)
		if status != "" {
			q.Set(api.ParamStatus, status)
		}
		var page api.Proposals
		if err := c.get(ctx, api.PathProposals, q, &page); err != nil {
			return nil, "", err
		}
		return page.Proposals, page.NextCursor, nil
	})
}
