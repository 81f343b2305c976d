module.exports = require('./leak-check').setup;
