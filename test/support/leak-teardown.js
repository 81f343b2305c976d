module.exports = require('./leak-check').teardown;
