// A local osls plugin that finishes the packaged template where serverless.yml cannot:
// - copies `custom.cloudFormationRules` into the template as its `Rules` section. osls validates
//   `resources` against a schema that has no Rules, and Rules are what CloudFormation checks against
//   the parameters before it changes a stack;
// - puts `custom.functionConditions` (function name -> condition name) on everything osls generates
//   for such a function: the function, its log group, its versions and their output. The version's
//   logical id carries a hash of the code, so `resources.extensions` cannot name it. Anything left
//   without the condition that still refers to one of them fails the package, as it would fail the
//   deploy.

class TemplateRules {
  constructor(serverless) {
    this.hooks = {
      // Before package:finalize, where osls merges `resources` and writes the template.
      'before:package:finalize': () => {
        const { custom = {}, provider } = serverless.service;
        const template = provider.compiledCloudFormationTemplate;
        if (custom.cloudFormationRules) template.Rules = custom.cloudFormationRules;
        if (custom.functionConditions) {
          const naming = serverless.getProvider('aws').naming;
          conditionFunctions(template, custom.functionConditions, naming);
        }
      },
    };
  }
}

function conditionFunctions(template, functionConditions, naming) {
  const conditioned = new Map();
  for (const [fn, condition] of Object.entries(functionConditions)) {
    const versionPrefix = `${naming.getNormalizedFunctionName(fn)}LambdaVersion`;
    const ids = [
      naming.getLambdaLogicalId(fn),
      naming.getLogGroupLogicalId(fn),
      ...Object.keys(template.Resources).filter((id) => id.startsWith(versionPrefix)),
    ];
    for (const id of ids) {
      if (!template.Resources[id]) throw new Error(`functionConditions: ${fn}: no resource ${id} in the template`);
      template.Resources[id].Condition = condition;
      conditioned.set(id, condition);
    }
    const output = template.Outputs?.[naming.getLambdaVersionOutputLogicalId(fn)];
    if (output) output.Condition = condition;
  }
  // The rest of the template (serverless.yml's own resources are merged later, in package:finalize,
  // so they are checked by cfn-lint and the tests instead).
  const refersTo = (node, id) =>
    JSON.stringify(node).includes(`"Ref":"${id}"`) || JSON.stringify(node).includes(`"Fn::GetAtt":["${id}"`);
  for (const [section, entries] of [
    ['Resources', template.Resources],
    ['Outputs', template.Outputs || {}],
  ]) {
    for (const [name, entry] of Object.entries(entries)) {
      for (const [id, condition] of conditioned) {
        if (name !== id && entry.Condition !== condition && refersTo(entry, id)) {
          throw new Error(
            `functionConditions: ${section}.${name} refers to ${id}, ` +
              `which exists only where ${condition} holds, and has no such condition`,
          );
        }
      }
    }
  }
}

module.exports = TemplateRules;
