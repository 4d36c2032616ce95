// Where the Kubernetes credentials come from, the way kubectl finds them: the file(s) in KUBECONFIG
// when it is set, else ~/.kube/config, else the pod's service account (in-cluster). client-node
// reads KUBECONFIG itself; this module adds the refusal client-node lacks.
import { KubeConfig } from '@kubernetes/client-node';

/**
 * Loads a KubeConfig from `file`, or from the default locations. Throws when nothing was found:
 * client-node would otherwise fall back to http://localhost:8080 without credentials, and the
 * first restart would fail with a connection error that names neither cause nor fix.
 */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file === undefined) kc.loadFromDefault();
  else kc.loadFromFile(file);
  const cluster = kc.getCurrentCluster();
  const server = cluster?.server ?? '';
  const isFallback = cluster?.name === 'cluster' && server === 'http://localhost:8080';
  // loadFromCluster outside a pod (token file present, service env unset) builds "https://undefined:undefined".
  if (!cluster || isFallback || server.includes('undefined')) {
    throw new Error(
      'no Kubernetes configuration: not running in a pod with a service account, and neither KUBECONFIG nor ~/.kube/config names a cluster',
    );
  }
  return kc;
}
