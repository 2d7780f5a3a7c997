// Validates the Helm chart (deploy/helm/latchkey) without a cluster and without internet.
//
// 1. `helm lint --strict` and `helm template` for several value sets: the defaults (MongoDB and
//    RabbitMQ from their operators, Ingress, autoscaling) and the files in the chart's ci/
//    folder (services outside the cluster; ServiceMonitors), plus one operator on, one off.
// 2. kubeconform, strict (unknown fields are errors), against the Kubernetes JSON schemas of the
//    chart's oldest supported Kubernetes and the newest one known. The schemas come from the PyPI
//    wheel of kubernetes-validate, unpacked by scripts/install-deploy-tools.sh; kubeconform gets
//    no other schema location, so it never tries the network. The operators' custom resources
//    (MongoDBCommunity, RabbitmqCluster) and ServiceMonitor have no schema from a registry (the
//    operators' Go modules are not served by the module proxy), so they are skipped by name
//    with -skip and their fields are checked below instead.
// 3. The properties that matter: probes on /health and /ready, resources everywhere, secrets
//    only from Secrets, the HPA on auth-api, budgets, selectors and ports that line up, and
//    the web pods' Nginx configuration through `nginx -t`.
//
// helm and kubeconform are built by scripts/install-deploy-tools.sh (install.sh runs it).
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'

type Dict = Record<string, any>

const root = fileURLToPath(new URL('..', import.meta.url))
const chart = join(root, 'deploy/helm/latchkey')
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8')

// One source for the versions: the install script.
const installScript = read('scripts/install-deploy-tools.sh')
const scriptValue = (name: string): string => {
  const m = new RegExp(`^readonly ${name}=(.+)$`, 'm').exec(installScript)
  if (m === null) throw new Error(`scripts/install-deploy-tools.sh sets no ${name}`)
  return m[1]!
}
const kubernetesVersions = scriptValue('KUBERNETES_VERSIONS').replace(/[()]/g, '').split(' ')
const cache = process.env.LATCHKEY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'latchkey')
const helm = join(cache, 'bin', `helm-${scriptValue('HELM_VERSION')}`)
const kubeconform = join(cache, 'bin', `kubeconform-${scriptValue('KUBECONFORM_VERSION')}`)
const schemas = join(cache, 'kubernetes-json-schema', `${scriptValue('SCHEMAS_PACKAGE')}-${scriptValue('SCHEMAS_PACKAGE_VERSION')}`)
const schemaLocation = join(schemas, '{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json')
// Custom resources: no schema from a registry (see the top of this file).
const SKIPPED_KINDS = ['MongoDBCommunity', 'RabbitmqCluster', 'ServiceMonitor']
const SECRET_VARIABLES = ['CODE_SECRET', 'JWT_PRIVATE_KEY', 'MONGO_URL', 'AMQP_URL', 'SMTP_URL']

interface Run { status: number | null, stdout: string, stderr: string }
const run = (command: string, args: string[], input?: string): Run => {
  const r = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.error !== undefined) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const valueArgs = (values: string[]): string[] => values.flatMap(v => v.endsWith('.yaml') ? ['-f', join(chart, v)] : ['--set', v])
const render = (values: string[] = []): Run => run(helm, ['template', 'demo', chart, '--namespace', 'auth', ...valueArgs(values)])
const manifests = (yaml: string): Dict[] => parseAllDocuments(yaml).map(d => d.toJS() as Dict | null).filter((d): d is Dict => d !== null)

interface Conformance { summary: Dict, resources: Array<{ filename: string, kind: string, name: string, status: string, msg: string }> }
// One run for many files: kubeconform compiles each kind's schema once per run.
const conform = (files: string[], kubernetesVersion: string): Conformance => {
  const r = run(kubeconform, ['-strict', '-summary', '-verbose', '-output', 'json', '-kubernetes-version', kubernetesVersion,
    '-schema-location', schemaLocation, '-skip', SKIPPED_KINDS.join(','), ...files])
  return JSON.parse(r.stdout) as Conformance
}
const scratch = mkdtempSync(join(tmpdir(), 'latchkey-helm-'))
t.teardown(() => rmSync(scratch, { recursive: true, force: true }))
const writeScratch = (name: string, text: string): string => {
  const file = join(scratch, `${name.replace(/\W+/g, '-')}.yaml`)
  writeFileSync(file, text)
  return file
}

const toolsPresent = [helm, kubeconform, join(schemas, `v${kubernetesVersions[0]}-local-strict`)].every(existsSync)
if (!toolsPresent) {
  t.fail(`helm, kubeconform or the schemas are missing under ${cache}: run bash scripts/install-deploy-tools.sh`)
  process.exit(1)
}

// The value sets every check below runs on.
const VALUE_SETS: Record<string, string[]> = {
  defaults: [],
  'external services': ['ci/external-services-values.yaml'],
  monitoring: ['ci/monitoring-values.yaml'],
  'MongoDB operator only': ['rabbitmq.operator.enabled=false', 'metrics.podAnnotations=false'],
  'RabbitMQ operator only': ['mongodb.operator.enabled=false', 'networkPolicy.enabled=false', 'ingress.tls.secretName=own-tls']
}
const rendered = new Map<string, Dict[]>()
const renderedText = new Map<string, string>()
for (const [name, values] of Object.entries(VALUE_SETS)) {
  const r = render(values)
  if (r.status !== 0) throw new Error(`helm template (${name}) failed:\n${r.stderr}`)
  renderedText.set(name, r.stdout)
  rendered.set(name, manifests(r.stdout))
}
const kinds = (docs: Dict[], kind: string): Dict[] => docs.filter(d => d.kind === kind)
const byName = (docs: Dict[], kind: string, name: string): Dict | undefined => docs.find(d => d.kind === kind && d.metadata.name === name)
const componentName = (component: string): string => `demo-latchkey-${component}`

t.test('tool versions', async t => {
  t.equal(run(helm, ['version', '--template', '{{.Version}}']).stdout, scriptValue('HELM_VERSION'))
  t.equal(run(kubeconform, ['-v']).stdout.trim(), scriptValue('KUBECONFORM_VERSION'))
  const kubeVersion = /^kubeVersion: ">=(\d+\.\d+\.\d+)-0"$/m.exec(read('deploy/helm/latchkey/Chart.yaml'))?.[1]
  t.equal(kubeVersion, kubernetesVersions[0], "the oldest schema checked is the chart's kubeVersion floor")
})

t.test('helm lint --strict passes for every value set', async t => {
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    const r = run(helm, ['lint', '--strict', chart, ...valueArgs(values)])
    t.equal(r.status, 0, `${name}: ${r.stdout.split('\n').filter(l => /\[(ERROR|WARNING)\]/.test(l)).join('; ') || 'lint ok'}`)
  }
})

t.test('kubeconform: every rendered resource is valid against the Kubernetes schemas', async t => {
  const files = new Map([...renderedText].map(([name, text]) => [writeScratch(name, text), name]))
  for (const version of kubernetesVersions) {
    const { summary, resources } = conform([...files.keys()], version)
    t.equal(summary.invalid, 0, `Kubernetes ${version}: no invalid resource`)
    t.equal(summary.errors, 0, `Kubernetes ${version}: no error (every schema found)`)
    for (const r of resources.filter(r => r.status === 'statusInvalid' || r.status === 'statusError')) t.comment(`${files.get(r.filename)}: ${r.kind} ${r.name}: ${r.msg}`)
    for (const [file, name] of files) {
      const docs = rendered.get(name)!
      const results = resources.filter(r => r.filename === file)
      const customResources = docs.filter(d => SKIPPED_KINDS.includes(d.kind)).map(d => d.kind).sort()
      t.equal(results.filter(r => r.status === 'statusValid').length, docs.length - customResources.length, `${name}, Kubernetes ${version}: every other resource valid`)
      t.same(results.filter(r => r.status === 'statusSkipped').map(r => r.kind).sort(), customResources, `${name}, Kubernetes ${version}: only the custom resources skipped`)
    }
  }
})

t.test('kubeconform is not a rubber stamp', async t => {
  const deployment = renderedText.get('defaults')!.split(/^---$/m).find(d => /^kind: Deployment$/m.test(d))!
  const check = (yaml: string): Conformance['summary'] => conform([writeScratch('tampered', yaml)], kubernetesVersions.at(-1)!).summary
  t.equal(check(deployment).valid, 1, 'the untouched Deployment is valid')
  t.equal(check(deployment.replace(/^(\s+)imagePullPolicy:/m, '$1imagePullPolicyy: Always\n$1imagePullPolicy:')).invalid, 1, 'an unknown field is refused (strict)')
  t.equal(check(deployment.replace(/^(\s+)containerPort: 3000$/m, '$1containerPort: "3000"')).invalid, 1, 'a string port is refused')
  t.equal(check(deployment.replace(/^kind: Deployment$/m, 'kind: Deploymnet')).errors, 1, 'a kind without a schema is an error, not a pass')
})

t.test('every Deployment has requests and limits, probes and a disruption budget', async t => {
  for (const [name, docs] of rendered) {
    const deployments = kinds(docs, 'Deployment')
    t.same(deployments.map(d => d.metadata.name).sort(), ['auth-api', 'mailer', 'web'].map(componentName), `${name}: three Deployments`)
    for (const deployment of deployments) {
      const pod = deployment.spec.template
      for (const c of pod.spec.containers as Dict[]) {
        for (const kind of ['requests', 'limits']) {
          t.ok(c.resources?.[kind]?.cpu && c.resources?.[kind]?.memory, `${name}: ${deployment.metadata.name}/${c.name} has cpu and memory ${kind}`)
        }
        t.ok(c.livenessProbe?.httpGet && c.readinessProbe?.httpGet, `${name}: ${c.name} has HTTP liveness and readiness probes`)
        t.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}: ${c.name} cannot escalate privileges`)
      }
      t.equal(pod.spec.securityContext?.runAsNonRoot, true, `${name}: ${deployment.metadata.name} runs as non-root`)
      const budgets = kinds(docs, 'PodDisruptionBudget').filter(p => matches(p.spec.selector.matchLabels, pod.metadata.labels))
      t.equal(budgets.length, 1, `${name}: ${deployment.metadata.name} has one PodDisruptionBudget`)
      t.same(deployment.spec.selector.matchLabels, pickLabels(pod.metadata.labels, deployment.spec.selector.matchLabels), `${name}: ${deployment.metadata.name}'s selector matches its pods`)
    }
  }
})

const matches = (selector: Dict, labels: Dict): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v)
const pickLabels = (labels: Dict, like: Dict): Dict => Object.fromEntries(Object.keys(like).map(k => [k, labels[k]]))
const container = (docs: Dict[], component: string): Dict => byName(docs, 'Deployment', componentName(component))!.spec.template.spec.containers[0]
const portNumber = (c: Dict, name: string): number | undefined => (c.ports as Dict[]).find(p => p.name === name)?.containerPort

t.test('auth-api and the mailer: liveness on /health, readiness on /ready, on their HTTP port', async t => {
  for (const [name, docs] of rendered) {
    for (const [component, port] of [['auth-api', 3000], ['mailer', 3100]] as const) {
      const c = container(docs, component)
      t.equal(c.livenessProbe.httpGet.path, '/health', `${name}: ${component} liveness on /health`)
      t.equal(c.readinessProbe.httpGet.path, '/ready', `${name}: ${component} readiness on /ready`)
      t.equal(c.startupProbe?.httpGet.path, '/health', `${name}: ${component} startup on /health`)
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        t.equal(portNumber(c, c[probe].httpGet.port), port, `${name}: ${component} ${probe} on port ${port}`)
      }
      const env = Object.fromEntries((c.env as Dict[]).map(e => [e.name, e.value]))
      t.equal(env.PORT, String(port), `${name}: ${component} listens on ${port}`)
      t.equal(env.HOST, '0.0.0.0', `${name}: ${component} listens on the pod address (the kubelet probes it)`)
    }
    const web = container(docs, 'web')
    t.equal(web.readinessProbe.httpGet.path, '/nginx-health', `${name}: web readiness on /nginx-health`)
  }
})

t.test('secrets are never inlined: every credential comes from a Secret', async t => {
  for (const [name, docs] of rendered) {
    t.same(kinds(docs, 'Secret'), [], `${name}: the chart renders no Secret`)
    for (const component of ['auth-api', 'mailer']) {
      const env = container(docs, component).env as Dict[]
      for (const e of env) {
        if (SECRET_VARIABLES.includes(e.name) || /PASSWORD|USERNAME/.test(e.name)) {
          if (e.name === 'AMQP_URL' && e.value !== undefined) {
            // The RabbitMQ operator's user Secret holds the parts; Kubernetes joins them.
            t.match(e.value, /^amqp:\/\/\$\(AMQP_USERNAME\):\$\(AMQP_PASSWORD\)@[a-z0-9.-]+:5672$/, `${name}: ${component} AMQP_URL only references Secret values`)
          } else {
            t.ok(e.valueFrom?.secretKeyRef?.name && e.valueFrom.secretKeyRef.key, `${name}: ${component} ${e.name} from a secretKeyRef`)
            t.equal(e.value, undefined, `${name}: ${component} ${e.name} has no literal value`)
          }
        }
      }
    }
    const api = container(docs, 'auth-api').env as Dict[]
    t.ok(['CODE_SECRET', 'JWT_PRIVATE_KEY', 'MONGO_URL', 'AMQP_URL'].every(v => api.some(e => e.name === v)), `${name}: auth-api gets all its secrets`)
    t.ok(['SMTP_URL', 'MONGO_URL', 'AMQP_URL'].every(v => (container(docs, 'mailer').env as Dict[]).some(e => e.name === v)), `${name}: the mailer gets all its secrets`)
  }
  const values = read('deploy/helm/latchkey/values.yaml').replace(/#.*$/gm, '')
  for (const variable of [...SECRET_VARIABLES, 'MONGO_PASSWORD']) t.notMatch(values, new RegExp(`\\b${variable}\\b`), `values.yaml sets no ${variable}`)
  for (const attempt of ['authApi.env.CODE_SECRET=x', 'mailer.env.SMTP_URL=smtp://u:p@h', 'authApi.env.MONGO_URL=mongodb://u:p@h/db']) {
    const r = render([attempt])
    t.not(r.status, 0, `--set ${attempt.split('=')[0]} is refused`)
    t.match(r.stderr, /secrets come from secrets\.existingSecret/, 'with a message that says where secrets go')
  }
})

t.test('the JWT signing key is one Secret shared by every auth-api replica', async t => {
  for (const [name, docs] of rendered) {
    const env = container(docs, 'auth-api').env as Dict[]
    const key = env.find(e => e.name === 'JWT_PRIVATE_KEY')
    t.equal(key?.valueFrom?.secretKeyRef?.key, 'JWT_PRIVATE_KEY', `${name}: JWT_PRIVATE_KEY from the Secret`)
    t.notOk(env.some(e => e.name === 'JWT_KEYS_DIR'), `${name}: no per-pod keys directory`)
    const replicaId = env.find(e => e.name === 'REPLICA_ID')
    t.equal(replicaId?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', `${name}: each pod its own REPLICA_ID`)
  }
})

t.test('the HorizontalPodAutoscaler scales auth-api on CPU', async t => {
  for (const [name, docs] of rendered) {
    const hpas = kinds(docs, 'HorizontalPodAutoscaler')
    const api = byName(docs, 'Deployment', componentName('auth-api'))!
    if (name === 'external services') {
      t.same(hpas, [], `${name}: autoscaling off, no HPA`)
      t.equal(api.spec.replicas, 4, `${name}: the fixed replica count`)
      continue
    }
    t.equal(hpas.length, 1, `${name}: one HPA`)
    const hpa = hpas[0]!
    t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: api.metadata.name }, `${name}: it targets the auth-api Deployment`)
    t.equal(hpa.spec.metrics[0].resource.name, 'cpu', `${name}: on CPU`)
    t.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas, `${name}: ${hpa.spec.minReplicas}..${hpa.spec.maxReplicas} replicas`)
    t.equal(api.spec.replicas, undefined, `${name}: the Deployment leaves the count to the HPA`)
    t.ok(container(docs, 'auth-api').resources.requests.cpu, `${name}: CPU requests, which utilisation is measured against`)
  }
})

t.test('Services, Ingress and ServiceMonitors point at ports that exist', async t => {
  for (const [name, docs] of rendered) {
    for (const service of kinds(docs, 'Service')) {
      const deployment = kinds(docs, 'Deployment').find(d => matches(service.spec.selector, d.spec.template.metadata.labels))
      t.ok(deployment, `${name}: Service ${service.metadata.name} selects a Deployment`)
      for (const port of service.spec.ports as Dict[]) {
        t.ok(portNumber(deployment!.spec.template.spec.containers[0], port.targetPort), `${name}: ${service.metadata.name} targets the named port ${port.targetPort}`)
      }
    }
    for (const component of ['auth-api', 'mailer']) {
      const c = container(docs, component)
      const env = Object.fromEntries((c.env as Dict[]).map(e => [e.name, e.value]))
      t.equal(Number(env.METRICS_PORT), portNumber(c, 'metrics'), `${name}: ${component} serves metrics on its port named metrics`)
      t.equal(env.METRICS_HOST, '0.0.0.0', `${name}: ${component} metrics reachable by the scraper`)
      const annotations = byName(docs, 'Deployment', componentName(component))!.spec.template.metadata.annotations ?? {}
      if (name === 'monitoring' || name === 'MongoDB operator only') {
        t.equal(annotations['prometheus.io/scrape'], undefined, `${name}: ${component} no scrape annotations when turned off`)
      } else {
        t.same([annotations['prometheus.io/scrape'], annotations['prometheus.io/port'], annotations['prometheus.io/path']],
          ['true', String(portNumber(c, 'metrics')), '/metrics'], `${name}: ${component} scrape annotations`)
      }
    }
    for (const monitor of kinds(docs, 'ServiceMonitor')) {
      const service = kinds(docs, 'Service').find(s => matches(monitor.spec.selector.matchLabels, s.metadata.labels))
      t.ok((service?.spec.ports as Dict[] | undefined)?.some(p => p.name === monitor.spec.endpoints[0].port), `${name}: ServiceMonitor ${monitor.metadata.name} scrapes a named Service port`)
    }
    t.equal(kinds(docs, 'ServiceMonitor').length, name === 'monitoring' ? 2 : 0, `${name}: ServiceMonitors only when enabled`)
    for (const ingress of kinds(docs, 'Ingress')) {
      const backend = ingress.spec.rules[0].http.paths[0].backend.service
      const service = byName(docs, 'Service', backend.name)
      t.ok((service?.spec.ports as Dict[] | undefined)?.some(p => p.name === backend.port.name), `${name}: the Ingress reaches the web Service`)
      t.ok(ingress.spec.tls[0].secretName, `${name}: the Ingress terminates TLS`)
      t.same(ingress.spec.tls[0].hosts, [ingress.spec.rules[0].host], `${name}: for its host`)
    }
  }
})

t.test('the web pods: the page, the security headers and the proxy to auth-api', async t => {
  const headersPath = '/etc/nginx/latchkey/security-headers.conf'
  t.match(read('services/web/Dockerfile'), new RegExp(`^COPY nginx/security-headers\\.conf ${headersPath}$`, 'm'), 'the image holds nginx/security-headers.conf')
  for (const [name, docs] of rendered) {
    const config = byName(docs, 'ConfigMap', componentName('web'))!.data['default.conf'] as string
    const active = config.replace(/#.*$/gm, '')
    t.match(active, new RegExp(`server ${componentName('auth-api')}:3000;`), `${name}: proxies to the auth-api Service`)
    t.equal(active.split(`include ${headersPath};`).length - 1, 3, `${name}: security headers in the server and both page locations`)
    t.equal(active.split('include /etc/nginx/latchkey/json-errors.conf;').length - 1, 1, `${name}: nginx's own errors answered as JSON`)
    for (const rule of [/listen 8080;/, /proxy_set_header X-Forwarded-For \$remote_addr;/, /proxy_set_header X-Request-Id \$request_id;/,
      /real_ip_header X-Forwarded-For;/, /location ~ \^\/\(register\|verify\|login\|password\|token\|oauth\) \{[^}]*limit_req zone=auth/,
      /location = \/ \{/, /location \/app\/ \{/, /client_max_body_size 64k;/]) t.match(active, rule, `${name}: ${String(rule)}`)
    const web = byName(docs, 'Deployment', componentName('web'))!.spec.template
    t.ok(web.metadata.annotations['checksum/config'], `${name}: a changed configuration rolls the web pods`)
    t.equal(web.spec.securityContext.runAsUser, 101, `${name}: nginx runs as the unprivileged image's user`)
    t.equal(portNumber(web.spec.containers[0], 'http'), 8080, `${name}: on 8080`)
  }
})

// The machine's Nginx (Debian's, older than the image's 1.28) knows every directive the web
// configuration uses. The paths of the image become local ones, and the auth-api Service name,
// which nginx -t would look up, an address.
t.test('the web Nginx configuration passes nginx -t', async t => {
  const nginx = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find(existsSync) ?? 'nginx'
  for (const [name, docs] of rendered) {
    const dir = join(scratch, `nginx-${name.replace(/\W+/g, '-')}`)
    mkdirSync(dir)
    const config = (byName(docs, 'ConfigMap', componentName('web'))!.data['default.conf'] as string)
      .replaceAll('/etc/nginx/latchkey/', `${dir}/latchkey/`)
      .replaceAll('/var/log/nginx/', `${dir}/`)
      .replace(`server ${componentName('auth-api')}:3000;`, 'server 127.0.0.1:3000;')
    writeFileSync(join(dir, 'default.conf'), config)
    // The image's directory: json-errors.conf includes latchkey/security-headers.conf beside it.
    symlinkSync(join(root, 'nginx'), join(dir, 'latchkey'))
    // The image's own nginx.conf wraps conf.d/*.conf in an http block like this one.
    writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nevents {}\nhttp {\n  include ${dir}/default.conf;\n}\n`)
    const r = run(nginx, ['-t', '-q', '-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')])
    t.equal(r.status, 0, `${name}: nginx -t ${r.stderr.trim()}`)
  }
  const broken = join(scratch, 'nginx-broken')
  mkdirSync(broken)
  writeFileSync(join(broken, 'nginx.conf'), `pid ${broken}/nginx.pid;\nevents {}\nhttp {\n  server { listen 8080; limit_req zone=missing; }\n}\n`)
  t.not(run(nginx, ['-t', '-q', '-e', join(broken, 'error.log'), '-p', broken, '-c', join(broken, 'nginx.conf')]).status, 0, 'nginx -t refuses a broken configuration')
})

t.test('MongoDB and RabbitMQ from the operators, or from outside', async t => {
  for (const [name, docs] of rendered) {
    const mongo = kinds(docs, 'MongoDBCommunity')
    const rabbit = kinds(docs, 'RabbitmqCluster')
    const env = container(docs, 'auth-api').env as Dict[]
    const mongoUrl = env.find(e => e.name === 'MONGO_URL')!.valueFrom.secretKeyRef
    const amqpUser = env.find(e => e.name === 'AMQP_USERNAME')?.valueFrom.secretKeyRef
    const usesMongoOperator = !['external services', 'RabbitMQ operator only'].includes(name)
    const usesRabbitOperator = !['external services', 'MongoDB operator only'].includes(name)
    t.equal(mongo.length, usesMongoOperator ? 1 : 0, `${name}: MongoDBCommunity ${usesMongoOperator ? 'rendered' : 'absent'}`)
    t.equal(rabbit.length, usesRabbitOperator ? 1 : 0, `${name}: RabbitmqCluster ${usesRabbitOperator ? 'rendered' : 'absent'}`)
    if (usesMongoOperator) checkMongo(t, name, mongo[0]!, mongoUrl)
    else t.same(mongoUrl, { name: name === 'external services' ? 'latchkey-production' : 'demo-latchkey-secrets', key: 'MONGO_URL' }, `${name}: MONGO_URL from the Secret`)
    if (usesRabbitOperator) {
      const cluster = rabbit[0]!
      t.equal(cluster.apiVersion, 'rabbitmq.com/v1beta1')
      t.ok(cluster.spec.replicas >= 3 && cluster.spec.replicas % 2 === 1, `${name}: an odd number (>= 3) of nodes, so quorum queues keep a majority`)
      t.ok(cluster.spec.resources.requests.memory && cluster.spec.persistence.storage, `${name}: resources and persistent storage`)
      t.same(Object.keys(cluster.spec).filter(k => !['replicas', 'image', 'resources', 'persistence'].includes(k)), [], `${name}: only the RabbitmqCluster fields this test knows`)
      t.equal(amqpUser?.name, `${cluster.metadata.name}-default-user`, `${name}: AMQP credentials from the operator's default-user Secret`)
      t.match(env.find(e => e.name === 'AMQP_URL')!.value, `@${cluster.metadata.name}.auth.svc:5672`, `${name}: AMQP_URL names the cluster's Service`)
    } else {
      t.same(env.find(e => e.name === 'AMQP_URL')!.valueFrom.secretKeyRef.key, 'AMQP_URL', `${name}: AMQP_URL from the Secret`)
    }
  }
})

// The MongoDBCommunity fields this chart sets, as the operator's CRD (mongodbcommunity.mongodb.com/v1) names them.
function checkMongo (t: Test, name: string, mongo: Dict, mongoUrl: Dict): void {
  t.equal(mongo.apiVersion, 'mongodbcommunity.mongodb.com/v1')
  t.equal(mongo.spec.type, 'ReplicaSet', `${name}: a replica set`)
  t.ok(mongo.spec.members >= 3 && mongo.spec.members % 2 === 1, `${name}: an odd number (>= 3) of members`)
  t.match(mongo.spec.version, /^\d+\.\d+\.\d+$/, `${name}: an exact MongoDB version`)
  t.same(mongo.spec.security, { authentication: { modes: ['SCRAM'] } }, `${name}: SCRAM authentication`)
  t.same(Object.keys(mongo.spec).sort(), ['featureCompatibilityVersion', 'members', 'security', 'statefulSet', 'type', 'users', 'version'], `${name}: only the known spec fields`)
  const [user] = mongo.spec.users as Dict[]
  t.same(Object.keys(user!).sort(), ['connectionStringSecretName', 'db', 'name', 'passwordSecretRef', 'roles', 'scramCredentialsSecretName'], `${name}: only the known user fields`)
  t.same(user!.roles, [{ name: 'readWrite', db: user!.db }], `${name}: the user may only read and write its own database`)
  t.same(user!.passwordSecretRef, { name: 'demo-latchkey-secrets', key: 'MONGO_PASSWORD' }, `${name}: its password from the Secret`)
  t.same(mongoUrl, { name: user!.connectionStringSecretName, key: 'connectionString.standard' }, `${name}: MONGO_URL is the connection string the operator writes`)
  const claims = mongo.spec.statefulSet.spec.volumeClaimTemplates as Dict[]
  t.same(claims.map(c => c.metadata.name), ['data-volume', 'logs-volume'], `${name}: storage for the operator's data and logs volumes`)
  t.ok(mongo.spec.statefulSet.spec.template.spec.containers[0].resources.requests.memory, `${name}: mongod resources`)
}
