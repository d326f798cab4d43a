// Upstream TLS of an outbound cluster, as istiod builds it (cluster_tls.go): auto mTLS becomes
// transport_socket_matches (mTLS only to endpoints labelled tlsMode=istio), an explicit
// DestinationRule `tls.mode` becomes a plain transport_socket, DISABLE and external hosts get none.
const T = 'type.googleapis.com/';

/** pilot-agent serves the workload certificate (`default`) and the root CA (`ROOTCA`) over SDS. */
function sdsSecret(name: string) {
  return {
    name,
    sds_config: {
      api_config_source: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }], set_node_on_first_message_only: true, transport_api_version: 'V3' },
      initial_fetch_timeout: '0s',
      resource_api_version: 'V3',
    },
  };
}

const TLS_PARAMS = { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' };

function istioMutual(sni: string, sans: string[]) {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
      common_tls_context: {
        tls_params: TLS_PARAMS,
        alpn_protocols: ['istio-peer-exchange', 'istio'],
        tls_certificate_sds_secret_configs: [sdsSecret('default')],
        combined_validation_context: {
          default_validation_context: sans.length ? { match_subject_alt_names: sans.map((exact) => ({ exact })) } : {},
          validation_context_sds_secret_config: sdsSecret('ROOTCA'),
        },
      },
      sni,
    },
  };
}

export interface ClusterTlsInput {
  /** `tls.mode` of the DestinationRule (subset settings already merged), if any. */
  mode?: string;
  /** `tls.sni` of the DestinationRule, for SIMPLE/MUTUAL origination. */
  sni?: string;
  /** The cluster's port, subset and host, for the Istio mTLS SNI. */
  port: number;
  subset: string;
  host: string;
  /** MESH_EXTERNAL ServiceEntry hosts never get auto mTLS. */
  external: boolean;
  /** PeerAuthentication DISABLE for the destination's namespace (or mesh-wide): auto mTLS stays off. */
  peerDisabled: boolean;
  /** Service accounts of the destination workloads (`spiffe://…` SANs to verify). */
  sans: string[];
}

export interface ClusterTls {
  transport_socket?: Record<string, unknown>;
  transport_socket_matches?: Record<string, unknown>[];
  /** SIMPLE without `sni`: Envoy takes SNI from the request's Host (auto_sni). */
  autoSni?: boolean;
}

export function clusterTls(i: ClusterTlsInput): ClusterTls {
  const istioSni = `outbound_.${i.port}_.${i.subset}_.${i.host}`;
  if (i.mode === 'DISABLE') return {};
  if (i.mode === 'ISTIO_MUTUAL') return { transport_socket: istioMutual(istioSni, i.sans) };
  if (i.mode === 'SIMPLE' || i.mode === 'MUTUAL') {
    const ctx: Record<string, unknown> = {
      '@type': `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
      common_tls_context: { tls_params: TLS_PARAMS },
      ...(i.sni ? { sni: i.sni } : {}),
    };
    return { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: ctx }, ...(i.sni ? {} : { autoSni: true }) };
  }
  if (i.external || i.peerDisabled) return {};
  return {
    transport_socket_matches: [
      { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: istioMutual(istioSni, i.sans) },
      { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer', typed_config: { '@type': `${T}envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer` } } },
    ],
  };
}
