#!/usr/bin/env bash
# Writes the service fuzzer's seed inputs into fuzz_corpus/: for each RPC, a method byte
# (its index in ServiceFuzzHarness::Run) and a request encoded by protoc from text. Rerun
# after adding an RPC; the fuzzer's own finds can be added beside them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
proto="$here/../../proto"
out="$here/fuzz_corpus"
mkdir -p "$out"
seed() {  # seed NAME INDEX MESSAGE TEXT
  local file="$out/seed-$1"
  printf "\\x$(printf '%02x' "$2")" >"$file"
  printf '%s' "$4" | protoc -I "$proto" -I /usr/include --encode="anteroom.v1.$3" \
    anteroom/v1/waiting_room.proto anteroom/v1/room_admin.proto >>"$file"
}
seed admit 0 AdmitRequest 'room: "hall" client_id: "visitor-1" source: "abcDEF123_-"'
seed admit-full 0 AdmitRequest 'room: "full" client_id: "visitor-2"'
seed admit-solution 0 AdmitRequest 'room: "hall" client_id: "visitor-3" solution { algorithm: "SHA-256" challenge: "00ff" number: 42 salt: "0123456789abcdef01234567?expires=1800000600" signature: "abcd" }'
seed admit-entry 0 AdmitRequest 'room: "hall" client_id: "visitor-4" entry_token: "e.hall.priority..1800003600.AAAAAAAAAAAAAAAAAAAAAA"'
seed create-room-challenge 4 CreateRoomRequest 'room: "pow" settings { max_active_sessions: 1 challenge_work: 1000 challenge_work_max: 5000 challenge_work_full_at: 3 }'
seed poll 1 PollRequest 'ticket: "t.full.AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA"'
seed heartbeat 2 HeartbeatRequest 'session: "s.hall.AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA"'
seed leave 3 LeaveRequest 'token: "t.hall.AAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAA"'
seed create-room 4 CreateRoomRequest 'room: "new" settings { max_active_sessions: 3 session_ttl { seconds: 60 } place_hold { seconds: 45 } queueing_method: RANDOM max_places_per_source: 2 over_source_limit: SOURCE_LIMIT_SHADOW }'
seed update-room 5 UpdateRoomRequest 'room: "full" settings { queue_all: true admissions_per_minute: 60 }'
seed get-room 6 GetRoomRequest 'room: "hall"'
seed list-rooms 7 ListRoomsRequest ''
seed delete-room 8 DeleteRoomRequest 'room: "new"'
seed status 9 GetRoomStatusRequest 'room: "full"'
seed create-event 10 CreateEventRequest 'room: "full" event { prequeue_start { seconds: 1800000000 } start { seconds: 1800003600 } end { seconds: 1800007200 } overrides { max_active_sessions: 5 } }'
seed list-events 11 ListEventsRequest 'room: "full"'
seed cancel-event 12 CancelEventRequest 'room: "full" event_id: "e1"'
seed revoke 13 RevokeSessionRequest 'session: "s.hall.AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA"'
seed checkpoint 14 CreateCheckpointRequest 'name: "snap"'
ls "$out" | wc -l
