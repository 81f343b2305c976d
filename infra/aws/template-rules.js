// A local osls plugin: copies `custom.cloudFormationRules` of serverless.yml into the packaged
// template as its `Rules` section. osls validates `resources` against a schema that has no Rules,
// and Rules are what CloudFormation checks against the parameters before it changes a stack.
'use strict';

class TemplateRules {
  constructor(serverless) {
    this.hooks = {
      // Before package:finalize, where osls merges `resources` and writes the template.
      'before:package:finalize': () => {
        const rules = serverless.service.custom && serverless.service.custom.cloudFormationRules;
        if (rules) serverless.service.provider.compiledCloudFormationTemplate.Rules = rules;
      },
    };
  }
}

module.exports = TemplateRules;
