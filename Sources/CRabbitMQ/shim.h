#ifndef BATON_CRABBITMQ_SHIM_H
#define BATON_CRABBITMQ_SHIM_H

#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/framing.h>
#include <rabbitmq-c/tcp_socket.h>
#include <rabbitmq-c/ssl_socket.h>
#else
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

#endif
#include <sys/time.h>
// A consumer's wait polls its socket together with an eventfd (BatonAMQP's WaitInterruption).
#include <poll.h>
#include <sys/eventfd.h>

// Method ids and flags are macros built from casts, which Swift does not import.
static const amqp_method_number_t baton_amqp_basic_ack_method = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t baton_amqp_basic_nack_method = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t baton_amqp_basic_return_method = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t baton_amqp_basic_get_ok_method = AMQP_BASIC_GET_OK_METHOD;
static const amqp_method_number_t baton_amqp_channel_close_method = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t baton_amqp_connection_close_method = AMQP_CONNECTION_CLOSE_METHOD;
static const amqp_flags_t baton_amqp_basic_content_type_flag = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const amqp_flags_t baton_amqp_basic_headers_flag = AMQP_BASIC_HEADERS_FLAG;
static const amqp_flags_t baton_amqp_basic_delivery_mode_flag = AMQP_BASIC_DELIVERY_MODE_FLAG;

// amqp_login_with_properties is variadic, and Swift cannot call variadic C functions.
// Client properties carry the connection name operators see in the broker.
static inline amqp_rpc_reply_t baton_amqp_login_plain_with_properties(amqp_connection_state_t state, const char *vhost,
                                                                      int frame_max, int heartbeat,
                                                                      const amqp_table_t *properties,
                                                                      const char *user, const char *password) {
    return amqp_login_with_properties(state, vhost, 0, frame_max, heartbeat, properties, AMQP_SASL_METHOD_PLAIN, user,
                                      password);
}

#endif
