// Package freeport finds TCP ports that a node can listen on later, for
// testnets whose nodes must know each other's addresses before any of
// them starts.
//
// A port the operating system hands out for 127.0.0.1:0 comes from the
// ephemeral range, the same range it draws from for every outgoing
// connection. Between the moment such a port is found and the moment a
// node binds it, any connection made on the machine (a peer dialling
// another, an HTTP client, a browser) may take it as its local port, and
// the node then fails with "address already in use". Ports below the
// ephemeral range are never given to outgoing connections, so Reserve
// draws from there and checks each by listening on it; only another
// process picking the same port in the same instant can still collide.
//
// It lives under the module's internal/ because it is machinery for the
// testnet commands and tests, not API.
package freeport
