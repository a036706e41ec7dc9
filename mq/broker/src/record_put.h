// One message as a store put request: BODYCRC computed, the record encoded,
// the host-width sysflag bits left to the encoder.
#pragma once

#include "mq/common/crc.h"
#include "mq/common/message_const.h"
#include "mq/common/message_record.h"
#include "mq/store/message_store.h"

namespace mq::broker {

inline result<store::put_request> single_put(message_ext& m, bool wait_store_msg_ok) {
  m.body_crc = static_cast<int32_t>(rocketmq_crc32(m.body));
  auto rec = encode_record(m);
  if (!rec) return rec.error();
  store::put_request put;
  put.topic = m.topic;
  put.queue_id = m.queue_id;
  put.sys_flag = m.sys_flag & ~(sys_flag::bornhost_v6 | sys_flag::storehost_v6);
  put.wait_store_msg_ok = wait_store_msg_ok;
  put.records.push_back(std::move(*rec));
  return put;
}

}  // namespace mq::broker
