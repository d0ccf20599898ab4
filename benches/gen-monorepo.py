#!/usr/bin/env python3
"""Generate the 2,000-overlay GitOps monorepo of issue 15, with a history of typical changes.

usage: benches/gen-monorepo.py OUT [--services 100] [--envs dev,test,staging,prod,sandbox]
                               [--clusters eu-1,eu-2,us-1,ap-1]

OUT becomes a git repository with SERVICES services. Each has a base (Deployment,
Service, ServiceAccount, HPA, a ConfigMap generator from a file, labels) and one
overlay per environment and cluster, `apps/SVC/overlays/ENV/CLUSTER` (namespace, the
shared Component, image tag, replicas, a strategic-merge patch, a merged ConfigMap
generator, a Secret generator, annotations): SERVICES x ENVS x CLUSTERS entry points
(100 x 5 x 4 = 2,000 by default). The environment is the directory after `overlays/`.
One overlay per service is a symlink to a sibling (`sandbox/ap-1 -> sandbox/us-1`
when both exist), as GitOps repositories do for identical clusters.

Commits (each one typical change on top of the previous one), tagged:

  platform   the monorepo
  overlay    one line in one overlay (replicas of svc-042 in prod/eu-1): 1 overlay
  base       one line in one service's base Deployment (svc-017): its 20 overlays
  generator  one line in a generator input (svc-063/base/app.properties): its 20 overlays
  component  one line in the Component every overlay uses: all 2,000 overlays
"""
import argparse, os, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--services", type=int, default=100)
ap.add_argument("--envs", default="dev,test,staging,prod,sandbox")
ap.add_argument("--clusters", default="eu-1,eu-2,us-1,ap-1")
a = ap.parse_args()
envs = a.envs.split(",")
clusters = a.clusters.split(",")
out = os.path.abspath(a.out)
os.makedirs(out, exist_ok=True)


def w(rel, text):
    p = os.path.join(out, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


def edit(rel, old, new):
    p = os.path.join(out, rel)
    s = open(p).read()
    assert old in s, (rel, old)
    open(p, "w").write(s.replace(old, new, 1))


def git(*args):
    subprocess.run(["git", "-C", out, *args], check=True, stdout=subprocess.DEVNULL)


w("components/network-policy/kustomization.yaml", """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- networkpolicy.yaml
""")
w("components/network-policy/networkpolicy.yaml", """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-ingress
spec:
  podSelector: {}
  policyTypes:
  - Ingress
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          platform.example.com/ingress: "true"
    ports:
    - protocol: TCP
      port: 8080
""")

for i in range(a.services):
    svc = f"svc-{i:03d}"
    base = f"apps/{svc}/base"
    w(f"{base}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
- pairs:
    app.kubernetes.io/name: {svc}
    app.kubernetes.io/part-of: platform
  includeSelectors: true
resources:
- serviceaccount.yaml
- deployment.yaml
- service.yaml
- hpa.yaml
configMapGenerator:
- name: {svc}-config
  files:
  - app.properties
""")
    w(f"{base}/app.properties", f"log.level=info\nlisten.port=8080\nfeature.flags=a,b,c\nservice.name={svc}\n")
    w(f"{base}/serviceaccount.yaml", f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {svc}\n")
    w(f"{base}/deployment.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {svc}
spec:
  replicas: 1
  selector:
    matchLabels:
      component: server
  template:
    metadata:
      labels:
        component: server
    spec:
      serviceAccountName: {svc}
      containers:
      - name: server
        image: registry.example.com/platform/{svc}:1.{i}.0
        args: ["--config", "/etc/{svc}/app.properties"]
        ports:
        - name: http
          containerPort: 8080
        envFrom:
        - configMapRef:
            name: {svc}-config
        - secretRef:
            name: {svc}-credentials
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
        volumeMounts:
        - name: config
          mountPath: /etc/{svc}
      volumes:
      - name: config
        configMap:
          name: {svc}-config
""")
    w(f"{base}/service.yaml", f"""apiVersion: v1
kind: Service
metadata:
  name: {svc}
spec:
  selector:
    component: server
  ports:
  - name: http
    port: 80
    targetPort: http
""")
    w(f"{base}/hpa.yaml", f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {svc}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {svc}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 75
""")
    for n, env in enumerate(envs):
        for c, cluster in enumerate(clusters):
            ov = f"apps/{svc}/overlays/{env}/{cluster}"
            if env == envs[-1] and c == len(clusters) - 1 and len(clusters) > 2:
                os.makedirs(os.path.join(out, os.path.dirname(ov)), exist_ok=True)
                os.symlink(clusters[c - 1], os.path.join(out, ov))
                continue
            w(f"{ov}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {svc}-{env}
resources:
- ../../../base
components:
- ../../../../../components/network-policy
images:
- name: registry.example.com/platform/{svc}
  newTag: 1.{i}.{n}
replicas:
- name: {svc}
  count: {n + 1}
commonAnnotations:
  platform.example.com/environment: {env}
  platform.example.com/cluster: {cluster}
patches:
- path: resources.yaml
configMapGenerator:
- name: {svc}-config
  behavior: merge
  literals:
  - ENVIRONMENT={env}
  - CLUSTER={cluster}
secretGenerator:
- name: {svc}-credentials
  literals:
  - token={svc}-{env}-{cluster}-not-a-real-secret
""")
            w(f"{ov}/resources.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {svc}
spec:
  template:
    spec:
      containers:
      - name: server
        resources:
          limits:
            cpu: "{n + 1}"
            memory: {256 * (c + 1)}Mi
""")

git("init", "-q", "-b", "main")
git("config", "user.email", "bench@example.com")
git("config", "user.name", "bench")
git("add", "-A")
git("commit", "-q", "-m", "platform")
git("tag", "platform")


def pick(i):
    return f"svc-{min(i, a.services - 1):03d}"


env_prod = "prod" if "prod" in envs else envs[0]
edit(f"apps/{pick(42)}/overlays/{env_prod}/{clusters[0]}/kustomization.yaml", "count: ", "count: 1")
git("commit", "-q", "-am", "one overlay: more replicas")
git("tag", "overlay")
edit(f"apps/{pick(17)}/base/deployment.yaml", "memory: 128Mi", "memory: 192Mi")
git("commit", "-q", "-am", "one base: memory request")
git("tag", "base")
edit(f"apps/{pick(63)}/base/app.properties", "log.level=info", "log.level=debug")
git("commit", "-q", "-am", "one generator input: debug logging")
git("tag", "generator")
edit("components/network-policy/networkpolicy.yaml", "port: 8080", "port: 8443")
git("commit", "-q", "-am", "network-policy: allow 8443 instead of 8080")
git("tag", "component")
# Packed, as a CI clone is: loose objects would make every read a file open.
git("repack", "-adq")
total = a.services * len(envs) * len(clusters)
print(f"{out}: {total} overlays; tags platform, overlay, base, generator, component")
