#pragma once

#include <cstdint>

#include "anteroom/v1/waiting_room.pb.h"
#include "server/service/challenges.h"

namespace anteroom::testing {

// What the waiting page's solver does: tries every number in order until the hash matches.
// A solution with number max_number + 1 (which never verifies) when none does.
inline v1::Solution SolveChallenge(const v1::Challenge& challenge) {
  v1::Solution solution;
  solution.set_algorithm(challenge.algorithm());
  solution.set_salt(challenge.salt());
  solution.set_challenge(challenge.challenge());
  solution.set_signature(challenge.signature());
  solution.set_number(challenge.max_number() + 1);
  for (uint64_t n = 0; n <= challenge.max_number(); ++n) {
    if (service::Challenges::Hash(challenge.salt(), n) == challenge.challenge()) {
      solution.set_number(n);
      break;
    }
  }
  return solution;
}

}  // namespace anteroom::testing
