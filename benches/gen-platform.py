#!/usr/bin/env python3
"""Generate a platform-shaped GitOps repository for the diff benchmark.

usage: benches/gen-platform.py OUT [--apps 60] [--envs dev,staging,prod,sandbox]

OUT becomes a git repository with APPS applications, each a base
(Deployment, Service, ServiceAccount, HPA, ConfigMap generator, labels) and one
overlay per environment (namespace, shared Component, image tag, replicas, a
strategic-merge patch, a merged ConfigMap generator, annotations): APPS x ENVS
entry-point overlays (240 by default). Three commits:

  HEAD~2  the platform
  HEAD~1  one line: a config value in one application's base (its 4 overlays change:
          ConfigMap data, hash suffix, and the references to it)
  HEAD    one line: a port in the Component every overlay uses (all overlays affected)
"""
import argparse, os, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--apps", type=int, default=60)
ap.add_argument("--envs", default="dev,staging,prod,sandbox")
a = ap.parse_args()
envs = a.envs.split(",")
out = os.path.abspath(a.out)
os.makedirs(out, exist_ok=True)


def w(rel, text):
    p = os.path.join(out, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


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

for i in range(a.apps):
    app = f"app-{i:03d}"
    base = f"apps/{app}/base"
    w(f"{base}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
- pairs:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/part-of: platform
  includeSelectors: true
resources:
- serviceaccount.yaml
- deployment.yaml
- service.yaml
- hpa.yaml
configMapGenerator:
- name: {app}-config
  files:
  - app.properties
""")
    w(f"{base}/app.properties", f"log.level=info\nlisten.port=8080\nfeature.flags=a,b,c\nservice.name={app}\n")
    w(f"{base}/serviceaccount.yaml", f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
""")
    w(f"{base}/deployment.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
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
      serviceAccountName: {app}
      containers:
      - name: server
        image: registry.example.com/platform/{app}:1.{i}.0
        args: ["--config", "/etc/{app}/app.properties"]
        ports:
        - name: http
          containerPort: 8080
        envFrom:
        - configMapRef:
            name: {app}-config
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
          mountPath: /etc/{app}
      volumes:
      - name: config
        configMap:
          name: {app}-config
""")
    w(f"{base}/service.yaml", f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
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
  name: {app}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {app}
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
        ov = f"apps/{app}/overlays/{env}"
        w(f"{ov}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {app}-{env}
resources:
- ../../base
components:
- ../../../../components/network-policy
images:
- name: registry.example.com/platform/{app}
  newTag: 1.{i}.{n}
replicas:
- name: {app}
  count: {n + 1}
commonAnnotations:
  platform.example.com/environment: {env}
patches:
- path: resources.yaml
configMapGenerator:
- name: {app}-config
  behavior: merge
  literals:
  - ENVIRONMENT={env}
""")
        w(f"{ov}/resources.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
spec:
  template:
    spec:
      containers:
      - name: server
        resources:
          limits:
            cpu: "{n + 1}"
            memory: {256 * (n + 1)}Mi
""")

git("init", "-q", "-b", "main")
git("config", "user.email", "bench@example.com")
git("config", "user.name", "bench")
git("add", "-A")
git("commit", "-q", "-m", "platform")
p = os.path.join(out, f"apps/app-{min(7, a.apps - 1):03d}/base/app.properties")
s = open(p).read().replace("log.level=info", "log.level=debug")
open(p, "w").write(s)
git("commit", "-q", "-am", "one app: debug logging")
p = os.path.join(out, "components/network-policy/networkpolicy.yaml")
s = open(p).read().replace("port: 8080", "port: 8443")
open(p, "w").write(s)
git("commit", "-q", "-am", "network-policy: allow 8443 instead of 8080")
print(f"{out}: {a.apps * len(envs)} overlays; commits HEAD~2 (platform), HEAD~1 (one app config line), HEAD (component port)")
