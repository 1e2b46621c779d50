import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { previewSeedScript } from '../constructs/lifecycle/preview-scripts';
const docs = parseAllDocuments(readFileSync('/tmp/pv7/dist/k8s/dev/previews/ops/preview.k8s.yaml', 'utf8')).map((d) => d.toJS());
const job = docs.find((d: any) => d.kind === 'Job' && d.metadata.name === 'ops-previews-create');
const c = job.spec.template.spec.initContainers[1];
console.log(c.command[0], c.command[1], c.command[2] === previewSeedScript('ops'), job.metadata.namespace);
