#include "tests/testing/reflection_client.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"

namespace anteroom::testing {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Field numbers of grpc.reflection.v1alpha (a published wire protocol).
constexpr int kRequestFileContainingSymbol = 4;
constexpr int kRequestListServices = 7;
constexpr int kResponseFileDescriptors = 4;
constexpr int kResponseListServices = 6;
constexpr int kResponseError = 7;
constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

// Runs the completion queue until the operation tagged `tag` completes.
bool Await(grpc::CompletionQueue* cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (cq->Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

}  // namespace

ReflectionClient::ReflectionClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout,
                                   std::vector<std::pair<std::string, std::string>> metadata)
    : channel_(std::move(channel)), timeout_(timeout), metadata_(std::move(metadata)) {}

absl::StatusOr<std::string> ReflectionClient::Reflect(int field_number, const std::string& value) {
  UnknownFieldSet request;
  request.AddLengthDelimited(field_number, value);
  std::string request_bytes;
  request.SerializeToString(&request_bytes);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout_));
  grpc::CompletionQueue cq;
  grpc::GenericStub stub(channel_);
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, kReflectionMethod, &cq);
  int tags[5];
  call->StartCall(&tags[0]);
  grpc::ByteBuffer response;
  bool ok = Await(&cq, &tags[0]);
  if (ok) {
    call->Write(ToBuffer(request_bytes), &tags[1]);
    ok = Await(&cq, &tags[1]);
  }
  if (ok) {
    call->WritesDone(&tags[2]);
    ok = Await(&cq, &tags[2]);
  }
  if (ok) {
    call->Read(&response, &tags[3]);
    ok = Await(&cq, &tags[3]);
  }
  grpc::Status status;
  call->Finish(&status, &tags[4]);
  Await(&cq, &tags[4]);
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  if (!status.ok()) return FromGrpc(status);
  if (!ok) return absl::UnavailableError("reflection stream ended without a response");
  return ToString(response);
}

absl::StatusOr<std::vector<std::string>> ReflectionClient::ListServices() {
  absl::StatusOr<std::string> raw = Reflect(kRequestListServices, "");
  if (!raw.ok()) return raw.status();
  UnknownFieldSet response;
  if (!response.ParseFromString(*raw)) return absl::DataLossError("bad reflection response");
  std::vector<std::string> services;
  for (int i = 0; i < response.field_count(); ++i) {
    const UnknownField& f = response.field(i);
    if (f.number() != kResponseListServices || f.type() != UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    UnknownFieldSet list;
    if (!list.ParseFromString(f.length_delimited())) return absl::DataLossError("bad list");
    for (int j = 0; j < list.field_count(); ++j) {  // repeated ServiceResponse service = 1
      UnknownFieldSet service;
      if (list.field(j).type() != UnknownField::TYPE_LENGTH_DELIMITED ||
          !service.ParseFromString(list.field(j).length_delimited())) {
        continue;
      }
      for (int k = 0; k < service.field_count(); ++k) {  // string name = 1
        if (service.field(k).number() == 1) services.push_back(service.field(k).length_delimited());
      }
    }
  }
  return services;
}

absl::Status ReflectionClient::LoadSymbol(const std::string& symbol) {
  if (pool_.FindFileContainingSymbol(symbol) != nullptr) return absl::OkStatus();
  absl::StatusOr<std::string> raw = Reflect(kRequestFileContainingSymbol, symbol);
  if (!raw.ok()) return raw.status();
  UnknownFieldSet response;
  if (!response.ParseFromString(*raw)) return absl::DataLossError("bad reflection response");
  for (int i = 0; i < response.field_count(); ++i) {
    const UnknownField& f = response.field(i);
    if (f.type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    if (f.number() == kResponseError) {
      return absl::NotFoundError(absl::StrCat("reflection cannot find ", symbol));
    }
    if (f.number() != kResponseFileDescriptors) continue;
    UnknownFieldSet files;  // repeated bytes file_descriptor_proto = 1
    if (!files.ParseFromString(f.length_delimited())) return absl::DataLossError("bad files");
    for (int j = 0; j < files.field_count(); ++j) {
      google::protobuf::FileDescriptorProto file;
      if (!file.ParseFromString(files.field(j).length_delimited())) {
        return absl::DataLossError("bad file descriptor");
      }
      google::protobuf::FileDescriptorProto existing;
      if (!database_.FindFileByName(file.name(), &existing)) database_.Add(file);
    }
  }
  if (pool_.FindFileContainingSymbol(symbol) == nullptr) {
    return absl::NotFoundError(absl::StrCat("reflection did not describe ", symbol));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReflectionClient::ListMethods(const std::string& service) {
  if (absl::Status s = LoadSymbol(service); !s.ok()) return s;
  const google::protobuf::ServiceDescriptor* descriptor = pool_.FindServiceByName(service);
  if (descriptor == nullptr) return absl::NotFoundError(absl::StrCat("no service ", service));
  std::vector<std::string> methods;
  for (int i = 0; i < descriptor->method_count(); ++i)
    methods.push_back(descriptor->method(i)->name());
  return methods;
}

absl::StatusOr<std::string> ReflectionClient::Call(const std::string& method,
                                                   const std::string& request_json) {
  const size_t slash = method.rfind('/');
  if (slash == std::string::npos) {
    return absl::InvalidArgumentError("method must be package.Service/Method");
  }
  const std::string service = method.substr(0, slash);
  if (absl::Status s = LoadSymbol(service); !s.ok()) return s;
  const google::protobuf::MethodDescriptor* descriptor =
      pool_.FindMethodByName(absl::StrCat(service, ".", method.substr(slash + 1)));
  if (descriptor == nullptr) return absl::NotFoundError(absl::StrCat("no method ", method));

  std::unique_ptr<google::protobuf::Message> request(
      factory_.GetPrototype(descriptor->input_type())->New());
  if (auto s = google::protobuf::util::JsonStringToMessage(request_json, request.get()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("request JSON: ", s.message().as_string()));
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout_));
  grpc::CompletionQueue cq;
  grpc::GenericStub stub(channel_);
  for (const auto& [key, value] : metadata_) context.AddMetadata(key, value);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call = stub.PrepareUnaryCall(
      &context, absl::StrCat("/", method), ToBuffer(request->SerializeAsString()), &cq);
  call->StartCall();
  grpc::ByteBuffer response_buffer;
  grpc::Status status;
  int tag = 0;
  call->Finish(&response_buffer, &status, &tag);
  Await(&cq, &tag);
  cq.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (cq.Next(&ignored_tag, &ignored_ok)) {
  }
  if (!status.ok()) return FromGrpc(status);

  std::unique_ptr<google::protobuf::Message> response(
      factory_.GetPrototype(descriptor->output_type())->New());
  if (!response->ParseFromString(ToString(response_buffer))) {
    return absl::DataLossError("unparseable response");
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(*response, &json, options);
  return json;
}

std::string JsonStringField(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\"";
  for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
    size_t i = at + key.size();
    while (i < json.size() && json[i] == ' ') ++i;
    if (i >= json.size() || json[i] != ':') continue;  // a value that happens to match
    ++i;
    while (i < json.size() && json[i] == ' ') ++i;
    if (i >= json.size() || json[i] != '"') return "";
    const size_t from = i + 1;
    return json.substr(from, json.find('"', from) - from);
  }
  return "";
}

}  // namespace anteroom::testing
