// The hand-written peer codec covers every field of proto/drl/peer.proto: this test walks
// drl.v1.PeerMessage's descriptor, builds for each case of every oneof a message with every
// field reachable from it set (non-default), and sends it through the hand codec (decode, then
// encode) and back through the generated class. A field the codec does not read or write comes
// back missing and the test names it, so a field added to peer.proto without the codec fails
// here (peer_codec_diff_test compares the codec with the generated classes on random values).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster/peer_codec.h"
#include "drl/peer.pb.h"

namespace drl::cluster {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Sets one value of `f` (appended when repeated): 1, true, "x", or the last enum value;
// sub-messages are filled in turn. Of a oneof, only `pick` is set, or else its first field.
void fill(Message& m, int depth, const FieldDescriptor* pick);

void set_one(Message& m, const FieldDescriptor* f, int depth) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      rep ? r->AddInt32(&m, f, 1) : r->SetInt32(&m, f, 1);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      rep ? r->AddInt64(&m, f, 1) : r->SetInt64(&m, f, 1);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      rep ? r->AddUInt32(&m, f, 1) : r->SetUInt32(&m, f, 1);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      rep ? r->AddUInt64(&m, f, 1) : r->SetUInt64(&m, f, 1);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      rep ? r->AddDouble(&m, f, 1) : r->SetDouble(&m, f, 1);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      rep ? r->AddFloat(&m, f, 1) : r->SetFloat(&m, f, 1);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      rep ? r->AddBool(&m, f, true) : r->SetBool(&m, f, true);
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type();
      const auto* v = e->value(e->value_count() - 1);
      rep ? r->AddEnum(&m, f, v) : r->SetEnum(&m, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(&m, f, "x") : r->SetString(&m, f, "x");
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      fill(rep ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), depth + 1, nullptr);
      break;
  }
}

void fill(Message& m, int depth, const FieldDescriptor* pick) {
  if (depth > 6) return;
  const Descriptor* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    const auto* oneof = f->containing_oneof();
    if (oneof != nullptr && f != pick && (pick != nullptr || oneof->field(0) != f)) continue;
    set_one(m, f, depth);
  }
}

TEST(PeerCodecCoverage, EveryFieldOfPeerProtoSurvivesTheHandCodec) {
  const Descriptor* d = v1::PeerMessage::descriptor();
  ASSERT_GT(d->oneof_decl_count(), 0);
  int cases = 0;
  for (int o = 0; o < d->oneof_decl_count(); ++o) {
    for (int i = 0; i < d->oneof_decl(o)->field_count(); ++i) {
      const FieldDescriptor* kind = d->oneof_decl(o)->field(i);
      SCOPED_TRACE(kind->full_name());
      v1::PeerMessage sent;
      fill(sent, 0, kind);
      PeerMessage decoded;
      ASSERT_EQ(decode_peer_message(sent.SerializeAsString(), decoded), "")
          << sent.ShortDebugString();
      v1::PeerMessage back;
      ASSERT_TRUE(back.ParseFromString(encode_peer_message(decoded)));
      std::string diff;
      google::protobuf::util::MessageDifferencer differ;
      differ.ReportDifferencesToString(&diff);
      EXPECT_TRUE(differ.Compare(sent, back))
          << "the hand codec (src/cluster/peer_codec.cpp) loses these fields:\n"
          << diff;
      ++cases;
    }
  }
  EXPECT_GE(cases, 5);
}

}  // namespace
}  // namespace drl::cluster
