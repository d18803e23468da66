package registry

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

func addr2(n int) []common.Address { return []common.Address{addr(n)} }

func bigInt(n int) *big.Int { return big.NewInt(int64(n)) }
