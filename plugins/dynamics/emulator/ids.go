package emulator

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// recordIDs generates record ids that sort in creation order, as Dataverse's sequential GUIDs do (so a query
// without $orderby returns records roughly in the order they were created): 48 bits of milliseconds, a 16-bit
// counter within the millisecond, then random bits.
var recordIDs struct {
	sync.Mutex
	lastMS  uint64
	counter uint16
}

func newRecordID() string {
	recordIDs.Lock()
	ms := uint64(time.Now().UnixMilli())
	if ms <= recordIDs.lastMS {
		ms = recordIDs.lastMS
		recordIDs.counter++
		if recordIDs.counter == 0 {
			ms++
		}
	} else {
		recordIDs.counter = 0
	}
	recordIDs.lastMS = ms
	counter := recordIDs.counter
	recordIDs.Unlock()
	var b [16]byte
	_, _ = rand.Read(b[8:])
	binary.BigEndian.PutUint64(b[0:8], ms<<16|uint64(counter))
	b[8] = (b[8] & 0x3f) | 0x80
	return formatGUID(b)
}

// newGUID returns a random (version 4) GUID in the lower-case form Dataverse prints.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// randomSecret returns a client secret in the style Entra generates (40 characters).
func randomSecret() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
	var b [40]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
