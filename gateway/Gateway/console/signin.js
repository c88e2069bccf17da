import { api, signIn, signOut, showError, discoverTenants } from './console.js';

const form = document.getElementById('signin-form');
if (new URLSearchParams(location.search).has('expired')) showError(new Error('凭证无效或已过期，请重新登录。'));
form.addEventListener('submit', async event => {
  event.preventDefault();
  const value = document.getElementById('credential').value.trim();
  if (!value) return;
  signIn(value);
  try {
    // The credential is good when the API answers with it; what it may see is the API's decision on each call.
    await api('/v1/divisions?pageSize=1', { signInAgain: false });
    await discoverTenants();
    location.assign('progress.html');
  } catch (error) {
    signOut();
    showError(error);
  }
});
