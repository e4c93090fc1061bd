#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/channel.h"

namespace anteroom::testing {

// A client that knows no .proto file: like grpcurl, it learns the services, methods and
// message types from the server's reflection service (grpc.reflection.v1alpha), builds
// requests from JSON and prints responses as JSON. Used to prove that an operator with only
// grpcurl can drive Anteroom.
//
// Not thread-safe.
class ReflectionClient {
 public:
  // `metadata` is sent with every method call (e.g. {"authorization", "Bearer …"}).
  explicit ReflectionClient(std::shared_ptr<grpc::Channel> channel,
                            absl::Duration timeout = absl::Seconds(10),
                            std::vector<std::pair<std::string, std::string>> metadata = {});

  // Fully-qualified names of the services the server lists.
  absl::StatusOr<std::vector<std::string>> ListServices();

  // The method names of `service` ("anteroom.v1.WaitingRoom"), loading its descriptors.
  absl::StatusOr<std::vector<std::string>> ListMethods(const std::string& service);

  // Calls a unary method, e.g. Call("anteroom.v1.WaitingRoom/Admit", R"({"room":"x"})"),
  // returning the response as JSON (field names as in the .proto, defaults included).
  // An RPC error comes back as the absl::Status with the same code and message.
  absl::StatusOr<std::string> Call(const std::string& method, const std::string& request_json);

 private:
  // One request/response round on the reflection stream; returns the raw response.
  absl::StatusOr<std::string> Reflect(int field_number, const std::string& value);
  // Loads the file declaring `symbol` (and its dependencies) into the local pool.
  absl::Status LoadSymbol(const std::string& symbol);

  std::shared_ptr<grpc::Channel> channel_;
  absl::Duration timeout_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  google::protobuf::SimpleDescriptorDatabase database_;
  google::protobuf::DescriptorPool pool_{&database_};
  google::protobuf::DynamicMessageFactory factory_{&pool_};
};

// The first string field `name` of JSON, compact (as a ReflectionClient returns it) or with
// spaces (as anteroomctl prints it); "" when absent.
std::string JsonStringField(const std::string& json, const std::string& name);

}  // namespace anteroom::testing
