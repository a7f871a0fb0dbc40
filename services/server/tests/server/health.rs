//! grpc.health.v1 and server reflection.

use std::time::Duration;

use stance_server::{Config, Hooks};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::common;

const SERVICE: &str = stance_proto::SERVICE_NAME;

#[tokio::test]
async fn not_serving_until_the_model_is_loaded_then_serving() {
    let hooks = Hooks {
        initial_load_delay: Duration::from_millis(800),
        ..Hooks::default()
    };
    let server = common::start_unready(Config::for_tests(), hooks).await;
    // Both the server-wide "" and the service start NOT_SERVING (tonic-health
    // would report "" as SERVING by default).
    assert_eq!(
        common::health_status(server.addr, "").await,
        ServingStatus::NotServing
    );
    assert_eq!(
        common::health_status(server.addr, SERVICE).await,
        ServingStatus::NotServing
    );
    common::wait_serving(server.addr, SERVICE).await;
    assert_eq!(
        common::health_status(server.addr, "").await,
        ServingStatus::Serving
    );
    let mut health = server.health().await;
    let err = health
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .expect_err("unknown service");
    assert_eq!(err.code(), tonic::Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn health_turns_not_serving_as_soon_as_shutdown_starts() {
    let server = common::start(Config::for_tests()).await;
    let mut health = server.health().await;
    let mut streams = Vec::new();
    for service in ["", SERVICE] {
        let mut watch = health
            .watch(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("watch")
            .into_inner();
        let first = watch
            .message()
            .await
            .expect("stream")
            .expect("first status");
        assert_eq!(first.status, ServingStatus::Serving as i32, "{service:?}");
        streams.push(watch);
    }
    server.shutdown.shutdown();
    for mut watch in streams {
        let next = watch.message().await.expect("stream").expect("next status");
        assert_eq!(next.status, ServingStatus::NotServing as i32);
    }
    // The watch streams are gone now, so the drain ends before the grace period.
    drop(health);
    server.wait().await.expect("clean stop");
}

#[tokio::test]
async fn reflection_lists_the_service() {
    let server = common::start(Config::for_tests()).await;
    let mut reflection = ServerReflectionClient::new(common::channel(server.addr).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection answers")
        .into_inner();
    let answer = answers
        .message()
        .await
        .expect("stream")
        .expect("one answer");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("expected a service list, got {:?}", answer.message_response);
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.iter().any(|n| n == SERVICE), "{names:?}");
    assert!(
        names.iter().any(|n| n == "grpc.health.v1.Health"),
        "{names:?}"
    );

    // The descriptor of the service resolves too (what grpcurl needs).
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(SERVICE.into())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection answers")
        .into_inner();
    let answer = answers
        .message()
        .await
        .expect("stream")
        .expect("one answer");
    assert!(matches!(
        answer.message_response,
        Some(MessageResponse::FileDescriptorResponse(_))
    ));
    server.stop().await;
}
